//! Reference data for the UI utilities: a vehicle catalogue shaped like the
//! real one (makes, their models with the years they were sold, trims) and
//! US universities for autocomplete.

use serde_json::{Value, json};
use uuid::Uuid;

/// (make, model, first year, last year or 0 for current, trims)
const MODELS: &[(&str, &str, i64, i64, &[&str])] = &[
    ("Acura", "MDX", 2001, 0, &["Base", "Technology", "A-Spec", "Advance", "Type S"]),
    ("Acura", "TLX", 2015, 0, &["Base", "Technology", "A-Spec", "Advance", "Type S"]),
    ("Audi", "A4", 1996, 0, &["Premium", "Premium Plus", "Prestige"]),
    ("Audi", "Q5", 2009, 0, &["Premium", "Premium Plus", "Prestige"]),
    ("BMW", "3 Series", 1992, 0, &["330i", "330i xDrive", "M340i", "M340i xDrive"]),
    ("BMW", "X5", 2000, 0, &["sDrive40i", "xDrive40i", "xDrive50e", "M60i"]),
    ("Chevrolet", "Equinox", 2005, 0, &["LS", "LT", "RS", "Premier"]),
    ("Chevrolet", "Malibu", 1997, 2025, &["LS", "RS", "LT", "2LT"]),
    ("Chevrolet", "Silverado 1500", 1999, 0, &["WT", "Custom", "LT", "RST", "LTZ", "High Country"]),
    ("Chevrolet", "Tahoe", 1995, 0, &["LS", "LT", "RST", "Z71", "Premier", "High Country"]),
    ("Dodge", "Charger", 2006, 0, &["SXT", "GT", "R/T", "Scat Pack"]),
    ("Dodge", "Grand Caravan", 1996, 2020, &["SE", "SE Plus", "SXT", "GT"]),
    ("Ford", "Escape", 2001, 0, &["S", "Active", "ST-Line", "Platinum"]),
    ("Ford", "Explorer", 1991, 0, &["Base", "XLT", "ST-Line", "Limited", "ST", "Platinum"]),
    ("Ford", "F-150", 1975, 0, &["XL", "XLT", "Lariat", "King Ranch", "Platinum", "Raptor"]),
    ("Ford", "Focus", 2000, 2018, &["S", "SE", "SEL", "Titanium", "ST"]),
    ("Ford", "Mustang", 1965, 0, &["EcoBoost", "EcoBoost Premium", "GT", "GT Premium", "Dark Horse"]),
    ("GMC", "Sierra 1500", 1999, 0, &["Pro", "SLE", "Elevation", "SLT", "AT4", "Denali"]),
    ("Honda", "Accord", 1976, 0, &["LX", "SE", "Sport Hybrid", "EX-L Hybrid", "Touring Hybrid"]),
    ("Honda", "Civic", 1973, 0, &["LX", "Sport", "EX", "Sport Touring", "Si", "Type R"]),
    ("Honda", "CR-V", 1997, 0, &["LX", "EX", "EX-L", "Sport Hybrid", "Sport Touring Hybrid"]),
    ("Honda", "Odyssey", 1995, 0, &["EX", "EX-L", "Sport", "Touring", "Elite"]),
    ("Hyundai", "Elantra", 1991, 0, &["SE", "SEL", "Limited", "N Line", "N"]),
    ("Hyundai", "Santa Fe", 2001, 0, &["SE", "SEL", "XRT", "Limited", "Calligraphy"]),
    ("Hyundai", "Tucson", 2005, 0, &["SE", "SEL", "XRT", "N Line", "Limited"]),
    ("Jeep", "Grand Cherokee", 1993, 0, &["Laredo", "Altitude", "Limited", "Overland", "Summit"]),
    ("Jeep", "Wrangler", 1987, 0, &["Sport", "Sport S", "Willys", "Sahara", "Rubicon"]),
    ("Kia", "Forte", 2010, 2024, &["LX", "LXS", "GT-Line", "GT"]),
    ("Kia", "Sorento", 2003, 0, &["LX", "S", "EX", "SX", "X-Line SX Prestige"]),
    ("Kia", "Telluride", 2020, 0, &["LX", "S", "EX", "SX", "SX Prestige"]),
    ("Lexus", "RX", 1999, 0, &["350", "350h", "450h+", "500h F Sport"]),
    ("Mazda", "CX-5", 2013, 0, &["2.5 S", "2.5 S Select", "2.5 S Preferred", "2.5 Turbo"]),
    ("Mazda", "Mazda3", 2004, 0, &["2.5 S", "2.5 S Select", "2.5 S Preferred", "2.5 Turbo"]),
    ("Mercedes-Benz", "C-Class", 1994, 0, &["C 300", "C 300 4MATIC", "AMG C 43"]),
    ("Mercedes-Benz", "GLE", 2016, 0, &["GLE 350", "GLE 450", "GLE 580", "AMG GLE 53"]),
    ("Nissan", "Altima", 1993, 0, &["S", "SV", "SR", "SL"]),
    ("Nissan", "Rogue", 2008, 0, &["S", "SV", "SL", "Platinum"]),
    ("Nissan", "Sentra", 1982, 0, &["S", "SV", "SR"]),
    ("Ram", "1500", 2011, 0, &["Tradesman", "Big Horn", "Laramie", "Rebel", "Limited", "TRX"]),
    ("Subaru", "Forester", 1998, 0, &["Base", "Premium", "Sport", "Limited", "Touring"]),
    ("Subaru", "Outback", 1995, 0, &["Base", "Premium", "Onyx Edition", "Limited", "Touring"]),
    ("Tesla", "Model 3", 2017, 0, &["Long Range RWD", "Long Range AWD", "Performance"]),
    ("Tesla", "Model Y", 2020, 0, &["Long Range RWD", "Long Range AWD", "Performance"]),
    ("Toyota", "Camry", 1983, 0, &["LE", "SE", "XLE", "XSE"]),
    ("Toyota", "Corolla", 1968, 0, &["L", "LE", "SE", "XSE"]),
    ("Toyota", "Highlander", 2001, 0, &["LE", "XLE", "Limited", "Platinum"]),
    ("Toyota", "RAV4", 1996, 0, &["LE", "XLE", "XLE Premium", "Adventure", "Limited", "TRD Off-Road"]),
    ("Toyota", "Tacoma", 1995, 0, &["SR", "SR5", "TRD Sport", "TRD Off-Road", "Limited", "TRD Pro"]),
    ("Volkswagen", "Jetta", 1980, 0, &["S", "Sport", "SE", "SEL", "GLI"]),
    ("Volkswagen", "Tiguan", 2009, 0, &["S", "SE", "SE R-Line Black", "SEL R-Line"]),
];

/// The catalogue's oldest model year.
const FIRST_YEAR: i64 = 1990;

fn sold_in(first: i64, last: i64, year: i64, newest: i64) -> bool {
    year >= first && year <= if last == 0 { newest } else { last }
}

/// Model years, newest first: next year's models are on sale from this year.
pub(crate) fn years(newest: i64) -> impl Iterator<Item = i64> {
    (FIRST_YEAR..=newest).rev()
}

/// The newest model year leadsim lists (a generous bound when no clock is at hand).
const NEWEST: i64 = 2100;

pub(crate) fn makes(year: Option<i64>) -> Vec<&'static str> {
    let mut makes: Vec<&str> = MODELS
        .iter()
        .filter(|(_, _, first, last, _)| year.is_none_or(|y| sold_in(*first, *last, y, NEWEST)))
        .map(|(make, ..)| *make)
        .collect();
    makes.dedup();
    makes
}

fn matching(year: Option<i64>, make: Option<&str>, model: Option<&str>) -> impl Iterator<Item = &'static (&'static str, &'static str, i64, i64, &'static [&'static str])> {
    let (make, model) = (make.map(str::to_lowercase), model.map(str::to_lowercase));
    MODELS.iter().filter(move |(mk, md, first, last, _)| {
        year.is_none_or(|y| sold_in(*first, *last, y, NEWEST))
            && make.as_deref().is_none_or(|m| mk.to_lowercase() == m)
            && model.as_deref().is_none_or(|m| md.to_lowercase() == m)
    })
}

pub(crate) fn models(year: Option<i64>, make: Option<&str>) -> Vec<&'static str> {
    matching(year, make, None).map(|(_, model, ..)| *model).collect()
}

/// `VehicleDetails` for every trim of the matching models (of `year`, or
/// of the model's latest year when none is given).
pub(crate) fn trims(year: Option<i64>, make: Option<&str>, model: Option<&str>) -> Vec<Value> {
    let mut out = Vec::new();
    for (mk, md, first, last, trims) in matching(year, make, model) {
        let year = year.unwrap_or(if *last == 0 { 2026 } else { *last }).max(*first);
        for trim in *trims {
            let name = format!("{year} {mk} {md} {trim}");
            let uuid = Uuid::new_v5(&Uuid::NAMESPACE_OID, name.as_bytes());
            let id = u64::from_le_bytes(uuid.as_bytes()[..8].try_into().unwrap_or_default()) % 900_000 + 100_000;
            out.push(json!({"year": year, "make": mk, "model": md, "trim": trim, "uuid": uuid, "ucgVehicleId": id}));
        }
    }
    out
}

/// US universities, for `GET /leads/universities?name=`.
pub(crate) const UNIVERSITIES: &[&str] = &[
    "Arizona State University",
    "Auburn University",
    "Boston College",
    "Boston University",
    "Brigham Young University",
    "Brown University",
    "California Institute of Technology",
    "Carnegie Mellon University",
    "Case Western Reserve University",
    "Clemson University",
    "Columbia University",
    "Cornell University",
    "Cornell University Johnson, MBA",
    "Dartmouth College",
    "Duke University",
    "Emory University",
    "Florida State University",
    "Georgetown University",
    "Georgia Institute of Technology",
    "Harvard University",
    "Indiana University Bloomington",
    "Johns Hopkins University",
    "Johns Hopkins University - Carey Business School",
    "Johns Hopkins University - School of Medicine",
    "Johnson & Wales University",
    "Johnson County Community College",
    "Massachusetts Institute of Technology",
    "Michigan State University",
    "New York University",
    "Northeastern University",
    "Northwestern University",
    "Ohio State University",
    "Pennsylvania State University",
    "Princeton University",
    "Purdue University",
    "Rice University",
    "Rutgers University - New Brunswick",
    "Saint Johns University",
    "Stanford University",
    "Texas A&M University",
    "Tufts University",
    "University of California, Berkeley",
    "University of California, Los Angeles",
    "University of Chicago",
    "University of Florida",
    "University of Georgia",
    "University of Illinois Urbana-Champaign",
    "University of Michigan",
    "University of Minnesota",
    "University of North Carolina at Chapel Hill",
    "University of Notre Dame",
    "University of Pennsylvania",
    "University of Pittsburgh - Johnstown",
    "University of Southern California",
    "University of Texas at Austin",
    "University of Virginia",
    "University of Washington",
    "University of Wisconsin-Madison",
    "Vanderbilt University",
    "Virginia Tech",
    "Washington University in St. Louis",
    "Yale University",
];
