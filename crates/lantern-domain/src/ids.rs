//! Typed ids, so a person id can never be passed where a user id is meant.

use std::fmt;

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id_type!(
    /// An organization (agency) hosted by a deployment. Nothing crosses its boundary.
    OrgId
);
id_type!(
    /// A user account: staff member or a peer with a portal login.
    UserId
);
id_type!(
    /// A person supported by the program (a "peer" / participant record).
    PersonId
);
