//! Closed sets of names a user picks from (report formats, cohort periods, churn models, CRM
//! presets): one trait, so every front end (the CLI's parser, a server's query, a Python
//! keyword) reads and lists the same names. Owns nothing else; uses nothing.

/// A value named by a fixed word.
pub trait Choice: Sized + Copy + 'static {
    /// Every value, in the order help lists them.
    const ALL: &'static [Self];

    /// The word a user types.
    fn name(self) -> &'static str;

    /// What the value means, for help; `None` when its name says it.
    fn help(self) -> Option<&'static str> {
        None
    }

    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|value| value.name() == name)
    }

    /// Every name, comma-separated, for messages.
    fn names() -> String {
        Self::ALL
            .iter()
            .map(|value| value.name())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A name that is none of a choice's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown value {found:?}: expected one of {expected}")]
pub struct UnknownName {
    pub found: String,
    pub expected: String,
}

/// Implements `Choice` for a fieldless enum from `Variant => "name"` pairs, with `Display`
/// and `FromStr` by the same names.
#[macro_export]
macro_rules! choice {
    ($type:ty { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $crate::choice::Choice for $type {
            const ALL: &'static [Self] = &[$(<$type>::$variant),+];
            fn name(self) -> &'static str {
                match self {
                    $(<$type>::$variant => $name),+
                }
            }
        }
        $crate::choice_traits!($type);
    };
}

/// `Display` and `FromStr` for a `Choice`, by its names (for choices with their own
/// `Choice` impl, e.g. to give help).
#[macro_export]
macro_rules! choice_traits {
    ($type:ty) => {
        impl std::fmt::Display for $type {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($crate::choice::Choice::name(*self))
            }
        }

        impl std::str::FromStr for $type {
            type Err = $crate::choice::UnknownName;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                <$type as $crate::choice::Choice>::from_name(text).ok_or_else(|| {
                    $crate::choice::UnknownName {
                        found: text.to_string(),
                        expected: <$type as $crate::choice::Choice>::names(),
                    }
                })
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::Choice;

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Fruit {
        Apple,
        BloodOrange,
    }
    crate::choice!(Fruit { Apple => "apple", BloodOrange => "blood-orange" });

    #[test]
    fn names_round_trip() {
        for fruit in Fruit::ALL {
            assert_eq!(Fruit::from_name(fruit.name()), Some(*fruit));
        }
        assert_eq!(Fruit::from_name("pear"), None);
        assert_eq!(Fruit::names(), "apple, blood-orange");
        assert_eq!(Fruit::BloodOrange.to_string(), "blood-orange");
        assert_eq!("apple".parse::<Fruit>(), Ok(Fruit::Apple));
        assert_eq!(
            "pear".parse::<Fruit>().unwrap_err().to_string(),
            "unknown value \"pear\": expected one of apple, blood-orange"
        );
    }
}
