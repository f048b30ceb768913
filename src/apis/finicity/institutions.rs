//! The financial institutions accounts can live at: Finicity's FinBank test
//! institutions, which is what testing customers may connect to.

#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Institution {
    pub(crate) id: u64,
    pub(crate) name: &'static str,
    /// `#RRGGBB`, exactly 7 characters as the spec requires.
    pub(crate) primary_color: &'static str,
}

impl Institution {
    pub(crate) fn icon_url(&self) -> String {
        format!(
            "https://prod-carpintero-branding.s3.us-west-2.amazonaws.com/{}/icon.svg",
            self.id
        )
    }
}

pub(crate) const FINBANK: u64 = 101_732;
pub(crate) const FINBANK_PROFILES_A: u64 = 102_105;

const ALL: &[Institution] = &[
    Institution {
        id: FINBANK,
        name: "FinBank",
        primary_color: "#1B3E4A",
    },
    Institution {
        id: FINBANK_PROFILES_A,
        name: "FinBank Profiles - A",
        primary_color: "#0A6E4F",
    },
    Institution {
        id: 102_106,
        name: "FinBank Profiles - B",
        primary_color: "#5B2C83",
    },
    Institution {
        id: 102_224,
        name: "FinBank Oauth",
        primary_color: "#C0392B",
    },
];

pub(crate) fn find(id: u64) -> Option<&'static Institution> {
    ALL.iter().find(|i| i.id == id)
}

/// The ids, for error messages.
pub(crate) fn ids() -> String {
    ALL.iter()
        .map(|i| i.id.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
