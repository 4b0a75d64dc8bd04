//! Great-circle distance and ZIP centroids.

/// Mean Earth radius (IUGG), km.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;
pub const KM_PER_MILE: f64 = 1.609344;

/// Haversine distance in km between two points given in degrees.
pub fn haversine_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin()
}

pub fn km_to_miles(km: f64) -> f64 {
    km / KM_PER_MILE
}

pub fn valid_point(lat: f64, lon: f64) -> bool {
    lat.is_finite() && lon.is_finite() && (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)
}

/// A US ZIP code as written in addresses: the first five digits of
/// "33125", "33125-1234" or " 33125 ".
pub fn zip5(s: &str) -> Option<String> {
    let t = s.trim();
    let d: String = t.chars().take(5).collect();
    (d.len() == 5 && d.bytes().all(|b| b.is_ascii_digit()) && t[5..].chars().all(|c| c == '-' || c.is_ascii_digit()))
        .then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_degree_along_a_meridian_is_r_times_pi_over_180() {
        // 6371.0088 × π / 180 = 111.19508 km, by hand.
        let d = haversine_km(25.0, -80.0, 26.0, -80.0);
        assert!((d - 111.19508).abs() < 1e-3, "{d}");
        // Along the equator too.
        let d = haversine_km(0.0, 10.0, 0.0, 11.0);
        assert!((d - 111.19508).abs() < 1e-3, "{d}");
    }

    #[test]
    fn one_degree_of_longitude_at_60_degrees_is_half() {
        // On a parallel at 60°, cos 60° = 1/2; the great circle is a little
        // shorter than the parallel arc (55.5975 km): hand-computed with
        // a = cos²60 · sin²(0.5°) → d = 2R·asin(0.5·sin 0.5°) = 55.5970 km.
        let d = haversine_km(60.0, 0.0, 60.0, 1.0);
        assert!((d - 55.5970).abs() < 1e-3, "{d}");
    }

    #[test]
    fn zero_and_antipodes() {
        assert_eq!(haversine_km(25.77, -80.19, 25.77, -80.19), 0.0);
        let half = std::f64::consts::PI * EARTH_RADIUS_KM;
        assert!((haversine_km(0.0, 0.0, 0.0, 180.0) - half).abs() < 1e-6);
    }

    #[test]
    fn miles() {
        assert!((km_to_miles(16.09344) - 10.0).abs() < 1e-9);
    }

    #[test]
    fn zip_forms() {
        assert_eq!(zip5("33125").as_deref(), Some("33125"));
        assert_eq!(zip5(" 33125-1234").as_deref(), Some("33125"));
        assert_eq!(zip5("3312"), None);
        assert_eq!(zip5("33125x"), None);
    }
}
