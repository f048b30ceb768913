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
