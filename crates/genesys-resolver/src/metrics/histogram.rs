//! The percentile histogram behind the JSON snapshot's latency figures.

use std::time::Duration;

/// Sub-buckets per power of two: 32, so a bucket is at most 1/32 (3.1 %) of its lower bound wide,
/// and an interpolated percentile is within that of the true value (within half of it when the
/// bucket holds a single value).
const SUB_BITS: u32 = 5;
const SUB_COUNT: u64 = 1 << SUB_BITS;
/// Buckets needed to cover every `u64` nanosecond value: 32 exact ones below 32 ns, then 32 per
/// power of two up to 2^64.
const BUCKET_COUNT: usize = (64 - SUB_BITS as usize + 1) * (1 << SUB_BITS);

/// A log-linear histogram of durations in nanoseconds (the layout of an HDR histogram with
/// 32 sub-buckets per power of two). Memory is bounded: [`BUCKET_COUNT`] counters (1,920, 15 KiB),
/// allocated on the first observation.
#[derive(Clone, Default)]
pub(super) struct LatencyHistogram {
    counts: Vec<u64>,
    count: u64,
    sum_nanos: u128,
    min_nanos: u64,
    max_nanos: u64,
}

impl LatencyHistogram {
    fn bucket_index(nanos: u64) -> usize {
        let index = if nanos < SUB_COUNT {
            nanos
        } else {
            let shift = u64::from(nanos.ilog2() - SUB_BITS);
            let sub = (nanos >> shift) - SUB_COUNT;
            (shift + 1) * SUB_COUNT + sub
        };
        // At most BUCKET_COUNT - 1 (975), so the conversion cannot fail.
        usize::try_from(index).unwrap_or(BUCKET_COUNT - 1)
    }

    /// The lower bound and width of bucket `index`, in nanoseconds.
    fn bucket_bounds(index: usize) -> (f64, f64) {
        let index = index as u64;
        if index < SUB_COUNT {
            (index as f64, 1.0)
        } else {
            let shift = index / SUB_COUNT - 1;
            let sub = index % SUB_COUNT;
            let width = 2f64.powi(i32::try_from(shift).unwrap_or(i32::MAX));
            ((SUB_COUNT + sub) as f64 * width, width)
        }
    }

    pub(super) fn record(&mut self, elapsed: Duration) {
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        if self.counts.is_empty() {
            self.counts = vec![0; BUCKET_COUNT];
            self.min_nanos = nanos;
            self.max_nanos = nanos;
        }
        self.counts[Self::bucket_index(nanos)] += 1;
        self.count += 1;
        self.sum_nanos += u128::from(nanos);
        self.min_nanos = self.min_nanos.min(nanos);
        self.max_nanos = self.max_nanos.max(nanos);
    }

    pub(super) fn mean_ms(&self) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        self.sum_nanos as f64 / self.count as f64 / 1e6
    }

    pub(super) fn max_ms(&self) -> f64 {
        self.max_nanos as f64 / 1e6
    }

    /// The `q` quantile (0.0 to 1.0) in milliseconds; 0.0 when empty. The value of rank
    /// `ceil(q * count)`, interpolated linearly inside its bucket and clamped to the exact
    /// minimum and maximum.
    pub(super) fn quantile_ms(&self, q: f64) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        let rank = (q.clamp(0.0, 1.0) * self.count as f64).ceil().max(1.0);
        let (min, max) = (self.min_nanos as f64, self.max_nanos as f64);
        let mut seen = 0u64;
        for (index, &count) in self.counts.iter().enumerate() {
            if count == 0 {
                continue;
            }
            if (seen + count) as f64 >= rank {
                let (low, width) = Self::bucket_bounds(index);
                // Observations are taken as spread evenly over the bucket, each at the middle of
                // its share: a bucket holding one value reports the bucket's middle.
                let fraction = ((rank - seen as f64 - 0.5) / count as f64).clamp(0.0, 1.0);
                return (low + width * fraction).clamp(min, max) / 1e6;
            }
            seen += count;
        }
        max / 1e6
    }

    /// How many durations were recorded.
    pub(super) fn count(&self) -> u64 {
        self.count
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // an empty histogram reports exactly 0.0
mod tests {
    use super::*;

    #[test]
    fn bucket_layout_is_contiguous_and_covers_u64() {
        let mut expected_low = 0.0;
        for index in 0..BUCKET_COUNT {
            let (low, width) = LatencyHistogram::bucket_bounds(index);
            assert!(
                (low - expected_low).abs() < 1e-6 * low.max(1.0),
                "bucket {index}"
            );
            assert!(width <= (low / 32.0).max(1.0), "bucket {index} too wide");
            expected_low = low + width;
        }
        assert_eq!(LatencyHistogram::bucket_index(u64::MAX), BUCKET_COUNT - 1);
        for v in [
            0,
            1,
            15,
            16,
            17,
            31,
            32,
            33,
            63,
            64,
            1000,
            123_456_789,
            u64::MAX / 3,
        ] {
            let (low, width) = LatencyHistogram::bucket_bounds(LatencyHistogram::bucket_index(v));
            let v = v as f64;
            assert!(
                low <= v && v < low + width,
                "{v} not in [{low}, {})",
                low + width
            );
        }
    }

    #[test]
    fn empty_histogram_reports_zero() {
        let h = LatencyHistogram::default();
        assert_eq!(h.quantile_ms(0.5), 0.0);
        assert_eq!(h.mean_ms(), 0.0);
    }

    #[test]
    fn single_value_is_exact() {
        let mut h = LatencyHistogram::default();
        h.record(Duration::from_micros(1234));
        for q in [0.0, 0.5, 0.99, 1.0] {
            assert!((h.quantile_ms(q) - 1.234).abs() < 1e-9);
        }
    }
}
