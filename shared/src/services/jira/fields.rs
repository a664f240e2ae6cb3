//! Ticket status and priority in the seed's upper case, read in any case and, for imports,
//! in Jira's own workflow and priority names.

use std::fmt;

/// `PROD-123` however it was typed: keys are case-insensitive in Jira.
pub fn normalise_key(key: &str) -> String {
    key.trim().to_ascii_uppercase()
}

fn squash(value: &str) -> String {
    value.trim().to_ascii_uppercase().replace([' ', '-'], "_")
}

macro_rules! upper_enum {
    ($name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [&'static str] = &[$($text),+];

            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            /// One of `ALL` in any case, with spaces or hyphens for underscores.
            pub fn parse(value: &str) -> Result<Self, String> {
                match squash(value).as_str() {
                    $($text => Ok(Self::$variant),)+
                    _ => Err(format!("{value:?} is not one of {}", Self::ALL.join(", "))),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

upper_enum!(Status {
    Open => "OPEN",
    InProgress => "IN_PROGRESS",
    Done => "DONE",
    Closed => "CLOSED",
    Backlog => "BACKLOG",
});

upper_enum!(Priority {
    Lowest => "LOWEST",
    Low => "LOW",
    Medium => "MEDIUM",
    High => "HIGH",
    Highest => "HIGHEST",
});

impl Status {
    /// Also Jira's default workflow names ("To Do", "In Review", "Resolved", "Won't Do" …).
    pub fn parse_jira(value: &str) -> Result<Self, String> {
        Self::parse(value).or_else(|e| match squash(value).replace('\'', "").as_str() {
            "TO_DO" | "TODO" | "NEW" | "SELECTED_FOR_DEVELOPMENT" | "READY" | "REOPENED" => {
                Ok(Self::Open)
            }
            "IN_REVIEW" | "REVIEW" | "IN_TEST" | "IN_QA" | "IN_DEVELOPMENT" | "BLOCKED" => {
                Ok(Self::InProgress)
            }
            "RESOLVED" | "COMPLETE" | "COMPLETED" | "RELEASED" | "SHIPPED" => Ok(Self::Done),
            "WONT_DO" | "WONT_FIX" | "CANCELLED" | "CANCELED" | "REJECTED" | "DUPLICATE" => {
                Ok(Self::Closed)
            }
            "" => Ok(Self::Backlog),
            _ => Err(e),
        })
    }
}

impl Priority {
    /// 0 (LOWEST) to 4 (HIGHEST).
    pub fn level(self) -> i32 {
        self as i32
    }

    /// Also the older Jira scheme (Blocker, Critical, Major, Minor, Trivial).
    pub fn parse_jira(value: &str) -> Result<Self, String> {
        Self::parse(value).or_else(|e| match squash(value).as_str() {
            "BLOCKER" | "CRITICAL" | "P0" | "P1" => Ok(Self::Highest),
            "MAJOR" | "P2" => Ok(Self::High),
            "NORMAL" | "P3" | "" => Ok(Self::Medium),
            "MINOR" | "P4" => Ok(Self::Low),
            "TRIVIAL" | "P5" => Ok(Self::Lowest),
            _ => Err(e),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_case_and_jira_names_are_read() {
        assert_eq!(Status::parse("backlog"), Ok(Status::Backlog));
        assert_eq!(Status::parse("In Progress"), Ok(Status::InProgress));
        assert!(Status::parse("To Do").is_err());
        assert_eq!(Status::parse_jira("To Do"), Ok(Status::Open));
        assert_eq!(Status::parse_jira("Won't Do"), Ok(Status::Closed));
        assert_eq!(Priority::parse("high"), Ok(Priority::High));
        assert_eq!(Priority::parse_jira("Blocker"), Ok(Priority::Highest));
        assert!(
            Priority::parse("urgent")
                .unwrap_err()
                .contains("LOWEST, LOW")
        );
        assert_eq!(Priority::Highest.level() - Priority::Low.level(), 3);
    }
}
