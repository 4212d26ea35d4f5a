//! Country and city of an IP address from a MaxMind-format database (`.mmdb`: GeoLite2 City
//! or DB-IP City Lite). Without a database, or for an address it does not know, both are
//! `Unknown`. The address itself is never kept.

use std::{collections::BTreeMap, net::IpAddr, path::Path};

use maxminddb::Reader;
use serde::Deserialize;

pub const UNKNOWN: &str = "Unknown";

/// An open GeoIP database, loaded into memory.
pub struct GeoIp {
    reader: Reader<Vec<u8>>,
}

/// Where an address is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// ISO 3166-1 alpha-2 code, such as `US`; `Unknown` if not found.
    pub country: String,
    /// English city name; `Unknown` if not found.
    pub city: String,
}

impl Place {
    pub fn unknown() -> Self {
        Self {
            country: UNKNOWN.to_owned(),
            city: UNKNOWN.to_owned(),
        }
    }
}

#[derive(Deserialize)]
struct Record<'a> {
    #[serde(borrow)]
    country: Option<Country<'a>>,
    #[serde(borrow)]
    city: Option<City<'a>>,
}

#[derive(Deserialize)]
struct Country<'a> {
    iso_code: Option<&'a str>,
}

#[derive(Deserialize)]
struct City<'a> {
    #[serde(borrow)]
    names: Option<BTreeMap<&'a str, &'a str>>,
}

/// The GeoIP database could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the GeoIP database {path} (OPENPXL_GEOIP_DB): {source}")]
pub struct GeoIpError {
    path: String,
    #[source]
    source: maxminddb::MaxMindDbError,
}

impl GeoIp {
    pub fn open(path: &Path) -> Result<Self, GeoIpError> {
        let reader = Reader::open_readfile(path).map_err(|source| GeoIpError {
            path: path.display().to_string(),
            source,
        })?;
        Ok(Self { reader })
    }

    /// Looks an address up; anything missing or unreadable is `Unknown`.
    pub fn locate(&self, ip: IpAddr) -> Place {
        let record = self
            .reader
            .lookup(ip)
            .ok()
            .and_then(|found| found.decode::<Record<'_>>().ok().flatten());
        let Some(record) = record else {
            return Place::unknown();
        };
        let country = record
            .country
            .and_then(|c| c.iso_code)
            .filter(|c| c.len() == 2);
        let city = record
            .city
            .and_then(|c| c.names)
            .and_then(|names| names.get("en").copied());
        Place {
            country: country.map_or_else(|| UNKNOWN.to_owned(), str::to_ascii_uppercase),
            city: city
                .filter(|c| !c.is_empty() && !c.chars().any(char::is_control))
                .unwrap_or(UNKNOWN)
                .to_owned(),
        }
    }
}
