//! The builder setters every builder that wraps a [`ClientSettings`] shares.

#[cfg(doc)]
use super::ClientSettings;

/// The setters of every builder that wraps a [`ClientSettings`] (the client's and the
/// resolver's), written once: `client_setters!(settings.client)` inside an `impl` block adds
/// them, each writing into that field path of `self`. The components a builder is handed
/// (pacers, token sources) are its own.
macro_rules! client_setters {
    ($($path:ident).+) => {
        /// The Genesys environment: a region, a domain or a base URL (required for the real
        /// client).
        pub fn environment(mut self, environment: $crate::environment::Environment) -> Self {
            self.$($path).+.environment = Some(environment);
            self
        }

        /// The seed route's integrations path (default
        /// [`DEFAULT_INTEGRATIONS_PATH`]($crate::api::DEFAULT_INTEGRATIONS_PATH)).
        pub fn integrations_path(mut self, path: impl Into<String>) -> Self {
            self.$($path).+.integrations_path = Some(path.into());
            self
        }

        /// The timeout of one API request, body included (default 30 s).
        pub fn request_timeout(mut self, timeout: std::time::Duration) -> Self {
            self.$($path).+.request_timeout = Some(timeout);
            self
        }

        /// Paces every API call to at most `per_minute` requests a minute, evenly spread. Off by
        /// default; Genesys allows
        /// [`GENESYS_RATE_LIMIT_PER_MINUTE`]($crate::api::GENESYS_RATE_LIMIT_PER_MINUTE) (300)
        /// per token.
        pub fn rate_limit_per_minute(mut self, per_minute: u32) -> Self {
            self.$($path).+.rate_limit_per_minute = Some(per_minute);
            self
        }

        /// Paces the calls that change state (POST, PUT, PATCH, DELETE: creates and updates) to
        /// at most `per_minute` a minute, evenly spread, on top of
        /// [`rate_limit_per_minute`](Self::rate_limit_per_minute) (which paces every call). Off
        /// by default.
        ///
        /// For a server that limits writes separately from reads: reads (the listing a resolve
        /// makes before it submits) then do not use up the write budget, so `resolve_many`
        /// submits at the write rate. Set it a little below the server's limit (say 98%): a
        /// server counting in fixed windows from the arrival of a request sees evenly paced
        /// requests at exactly its limit cross a window edge with one too many whenever one
        /// arrives a little later than the next.
        pub fn write_rate_limit_per_minute(mut self, per_minute: u32) -> Self {
            self.$($path).+.write_rate_limit_per_minute = Some(per_minute);
            self
        }

        /// The page size of listings (1 to 500, default 100).
        pub fn page_size(mut self, page_size: u32) -> Self {
            self.$($path).+.page_size = Some(page_size);
            self
        }

        /// How long a create whose outcome is unknown keeps looking for what it may have
        /// created (the listing lags behind a create) before it may be sent again (default 2 s).
        pub fn recovery_window(mut self, window: std::time::Duration) -> Self {
            self.$($path).+.recovery_window = Some(window);
            self
        }
    };
}

pub(crate) use client_setters;
