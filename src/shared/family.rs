//! Which API family a path belongs to. Paths of different families never
//! collide, so the prefix alone decides; shared layers (journal, framework
//! errors) use it to answer in the right vendor's shape.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    Engine,
    DataAnalytics,
    Finicity,
    #[serde(rename = "leadsquared")]
    LeadSquared,
    Admin,
    /// A path no family serves.
    Unknown,
}

impl Family {
    pub fn of_path(path: &str) -> Self {
        const PREFIXES: &[(&str, Family)] = &[
            ("/supplyAnalytics/", Family::Engine),
            ("/uiEvent/", Family::Engine),
            ("/api/v1/", Family::DataAnalytics),
            ("/aggregation/", Family::Finicity),
            ("/analytics/", Family::Finicity),
            ("/Leads/", Family::LeadSquared),
            ("/__admin", Family::Admin),
        ];
        PREFIXES
            .iter()
            .find(|(prefix, _)| path.starts_with(prefix))
            .map_or(Family::Unknown, |(_, family)| *family)
    }

    /// The simulated vendor APIs.
    pub const VENDORS: [Family; 4] = [
        Family::Engine,
        Family::DataAnalytics,
        Family::Finicity,
        Family::LeadSquared,
    ];

    pub const ALL: [Family; 6] = [
        Family::Engine,
        Family::DataAnalytics,
        Family::Finicity,
        Family::LeadSquared,
        Family::Admin,
        Family::Unknown,
    ];

    /// The family called `name` on the wire (`engine`, `leadsquared`, …).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|family| family.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Family::Engine => "engine",
            Family::DataAnalytics => "data_analytics",
            Family::Finicity => "finicity",
            Family::LeadSquared => "leadsquared",
            Family::Admin => "admin",
            Family::Unknown => "unknown",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_on_the_wire_match_serialization() {
        for family in Family::ALL {
            let serialized = serde_json::to_value(family).unwrap();
            assert_eq!(serialized, family.as_str());
            assert_eq!(Family::from_name(family.as_str()), Some(family));
        }
        assert_eq!(Family::from_name("lead_squared"), None);
    }

    #[test]
    fn each_family_is_found_by_its_prefix() {
        assert_eq!(Family::of_path("/supplyAnalytics/leadEvents"), Family::Engine);
        assert_eq!(
            Family::of_path("/uiEvent/offerDisplays/a/b/c/pixel.gif"),
            Family::Engine
        );
        assert_eq!(Family::of_path("/api/v1/lead_analytics"), Family::DataAnalytics);
        assert_eq!(Family::of_path("/analytics/data/v1/abc"), Family::Finicity);
        assert_eq!(
            Family::of_path("/aggregation/v2/partners/authentication"),
            Family::Finicity
        );
        assert_eq!(
            Family::of_path("/Leads/LeadDistribution/FilterByLeadField"),
            Family::LeadSquared
        );
        assert_eq!(Family::of_path("/__admin/health"), Family::Admin);
        assert_eq!(Family::of_path("/nope"), Family::Unknown);
    }
}
