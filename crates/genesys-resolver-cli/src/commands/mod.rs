//! One module per command.

pub(crate) mod deploy;
pub(crate) mod lifecycle;
pub(crate) mod mock;
pub(crate) mod rehearse;
pub(crate) mod route;
pub(crate) mod serve;
pub(crate) mod validate;
