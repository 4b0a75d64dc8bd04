//! Lantern's domain core: the types and rules of peer support work.
//!
//! Architecture invariant: this crate does no I/O. It knows nothing of SQL,
//! HTTP, HTML or JSON; storage and the web layer convert to and from these
//! types at their edges. Everything here is a pure function of its inputs,
//! including time, which is always passed in.
#![forbid(unsafe_code)]

pub mod audit;
pub mod crisis;
pub mod appointment;
pub mod billing;
pub mod care_team;
pub mod certification;
pub mod competency;
pub mod consent;
pub mod encounter;
pub mod enrollment;
pub mod growth;
pub mod ids;
pub mod person;
pub mod recovery_plan;
pub mod referral;
pub mod policy;
pub mod role;
pub mod safety_plan;
pub mod wellness;
pub mod validate;

pub use ids::{OrgId, PersonId, UserId};
pub use role::{Role, Roles};
