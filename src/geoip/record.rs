//! What one database record becomes in an event: the `geo` object and the
//! `as` object, as JSON text, shaped as Elasticsearch's GeoIP processor fills
//! them with its default properties.

use maxminddb::geoip2;
use serde::Serialize;

/// `<endpoint>.geo`: the processor's default City/Country properties.
/// Absent values are left out, as the processor leaves them out.
#[derive(Debug, Default, Serialize)]
struct Geo<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    city_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    continent_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    country_iso_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    country_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<Location>,
    #[serde(skip_serializing_if = "Option::is_none")]
    region_iso_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    region_name: Option<&'a str>,
}

/// `geo.location`, a `geo_point` as `{lat, lon}`.
#[derive(Debug, Serialize)]
struct Location {
    lat: f64,
    lon: f64,
}

/// `<endpoint>.as`: the ASN processor's `asn` and `organization_name`,
/// renamed as Elastic's pipelines rename them.
#[derive(Debug, Serialize)]
struct As<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    number: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    organization: Option<Organization<'a>>,
}

#[derive(Debug, Serialize)]
struct Organization<'a> {
    name: &'a str,
}

/// The `geo` object of a City or Country record (a Country record is a City
/// record without city, subdivisions and location), or `None` when the
/// record holds none of the default properties.
///
/// As the processor does: names in English; `region_*` from the most
/// specific subdivision, its ISO code prefixed with the country's;
/// `location` only when both coordinates are known.
pub(super) fn geo_json(city: &geoip2::City<'_>) -> Option<String> {
    let subdivision = city.subdivisions.last();
    let country_iso = city.country.iso_code;
    let geo = Geo {
        city_name: city.city.names.english,
        continent_name: city.continent.names.english,
        country_iso_code: country_iso,
        country_name: city.country.names.english,
        location: match (city.location.latitude, city.location.longitude) {
            (Some(lat), Some(lon)) => Some(Location { lat, lon }),
            _ => None,
        },
        region_iso_code: match (country_iso, subdivision.and_then(|s| s.iso_code)) {
            (Some(country), Some(region)) => Some(format!("{country}-{region}")),
            _ => None,
        },
        region_name: subdivision.and_then(|s| s.names.english),
    };
    let empty = geo.city_name.is_none()
        && geo.continent_name.is_none()
        && geo.country_iso_code.is_none()
        && geo.country_name.is_none()
        && geo.location.is_none()
        && geo.region_name.is_none();
    (!empty).then(|| serde_json::to_string(&geo).expect("plain struct serializes"))
}

/// The `as` object of an ASN record, or `None` when it has neither number
/// nor organization.
pub(super) fn as_json(asn: &geoip2::Asn<'_>) -> Option<String> {
    let value = As {
        number: asn.autonomous_system_number,
        organization: asn
            .autonomous_system_organization
            .map(|name| Organization { name }),
    };
    (value.number.is_some() || value.organization.is_some())
        .then(|| serde_json::to_string(&value).expect("plain struct serializes"))
}
