//! Roles a user may hold. A user may hold several (e.g. supervisor + specialist).

/// One role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Peer,
    Specialist,
    Supervisor,
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Peer, Role::Specialist, Role::Supervisor, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Peer => "peer",
            Role::Specialist => "specialist",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }

    fn bit(self) -> i64 {
        match self {
            Role::Peer => 1,
            Role::Specialist => 2,
            Role::Supervisor => 4,
            Role::Admin => 8,
        }
    }
}

/// A set of roles, stored as a small bit set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Roles(i64);

impl Roles {
    pub fn empty() -> Roles {
        Roles(0)
    }
    pub fn from_bits(bits: i64) -> Roles {
        Roles(bits & 0b1111)
    }
    pub fn bits(self) -> i64 {
        self.0
    }
    pub fn with(self, role: Role) -> Roles {
        Roles(self.0 | role.bit())
    }
    pub fn has(self, role: Role) -> bool {
        self.0 & role.bit() != 0
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// Staff hold any role other than peer.
    pub fn is_staff(self) -> bool {
        self.has(Role::Specialist) || self.has(Role::Supervisor) || self.has(Role::Admin)
    }
    pub fn iter(self) -> impl Iterator<Item = Role> {
        Role::ALL.into_iter().filter(move |r| self.has(*r))
    }
    /// Parses "specialist,supervisor". Unknown names are an error naming them.
    pub fn parse_list(s: &str) -> Result<Roles, String> {
        let mut roles = Roles::empty();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match Role::parse(part) {
                Some(r) => roles = roles.with(r),
                None => return Err(format!("unknown role {part:?} (expected peer, specialist, supervisor or admin)")),
            }
        }
        if roles.is_empty() {
            return Err("at least one role is needed".into());
        }
        Ok(roles)
    }
    pub fn to_list(self) -> String {
        self.iter().map(Role::as_str).collect::<Vec<_>>().join(",")
    }
}

impl FromIterator<Role> for Roles {
    fn from_iter<T: IntoIterator<Item = Role>>(iter: T) -> Self {
        iter.into_iter().fold(Roles::empty(), Roles::with)
    }
}
