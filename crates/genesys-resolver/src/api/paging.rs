//! Paging, written once: every listing of the Genesys API (`entities`, `pageCount`, `nextUri`)
//! is walked by [`GenesysClient::walk_pages`].

use std::ops::{ControlFlow, RangeInclusive};

use serde::Deserialize;
use serde_json::Value;

use super::error::ClientError;
use super::request::{ApiRequest, ApiResponse};
use super::transport::GenesysClient;

/// The default page size of listings (Genesys' own samples use 100).
pub const DEFAULT_PAGE_SIZE: u32 = 100;
/// The page sizes Genesys accepts.
pub(crate) const PAGE_SIZES: RangeInclusive<u32> = 1..=500;
/// Pages walked at most when listing, against a server whose `nextUri` never ends.
pub(crate) const MAX_PAGES: u32 = 10_000;

/// One page of a listing.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(clippy::struct_field_names)] // the wire names
struct Page {
    #[serde(default)]
    entities: Vec<Value>,
    #[serde(default)]
    page_count: Option<u32>,
    #[serde(default)]
    next_uri: Option<String>,
}

impl Page {
    /// Whether page `number` is the last: no `nextUri`, no entities, or `pageCount` reached.
    fn is_last(&self, number: u32) -> bool {
        self.next_uri.is_none()
            || self.entities.is_empty()
            || self.page_count.is_some_and(|count| number >= count)
    }
}

impl GenesysClient {
    /// Walks every page of the listing `request` (`pageSize` and `pageNumber` are added),
    /// handing each entity with its response to `visit` until it says
    /// [`Break`](ControlFlow::Break) or the listing ends; at most [`MAX_PAGES`] pages. Returns
    /// the correlation id of the last response read.
    pub(crate) async fn walk_pages<F>(
        &self,
        request: &ApiRequest,
        page_size: u32,
        mut visit: F,
    ) -> Result<Option<String>, ClientError>
    where
        F: FnMut(Value, &ApiResponse) -> Result<ControlFlow<()>, ClientError> + Send,
    {
        let mut correlation_id = None;
        for number in 1..=MAX_PAGES {
            let page_request = request
                .clone()
                .query("pageSize", &page_size)
                .query("pageNumber", &number);
            let response = self.execute(&page_request).await?;
            if let Some(id) = response.correlation_id() {
                correlation_id = Some(id.to_owned());
            }
            let page: Page = response.json()?;
            let last = page.is_last(number);
            for entity in page.entities {
                if visit(entity, &response)?.is_break() {
                    return Ok(correlation_id);
                }
            }
            if last {
                return Ok(correlation_id);
            }
        }
        tracing::warn!(
            path = request.path,
            "listing did not end after {MAX_PAGES} pages; giving up"
        );
        Ok(correlation_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_page_rules() {
        let page = |entities: usize, count: Option<u32>, next: bool| Page {
            entities: vec![Value::Null; entities],
            page_count: count,
            next_uri: next.then(|| "/next".to_owned()),
        };
        assert!(page(2, None, false).is_last(1));
        assert!(page(0, None, true).is_last(1));
        assert!(page(2, Some(3), true).is_last(3));
        assert!(!page(2, Some(3), true).is_last(2));
        assert!(!page(2, None, true).is_last(7));
    }
}
