//! The `slots` column of `daily_slot_counts` (migration `0014_packed_click_slots.sql`): a
//! day's quarter hours that had clicks, 13 bytes each in slot order — the slot (1 byte),
//! then clicks, first visitors and last visitors (4 bytes each, big-endian, as Postgres's
//! `int4send` writes them in the migration).

use super::rollups::SlotCounts;

/// Bytes per quarter hour.
const ENTRY: usize = 13;

/// Packs quarter hours (slot 0 to 95, counts below 2^32) in slot order.
pub fn pack(slots: &mut [(i64, SlotCounts)]) -> Vec<u8> {
    slots.sort_unstable_by_key(|(slot, _)| *slot);
    let mut bytes = Vec::with_capacity(slots.len() * ENTRY);
    for (slot, counts) in slots.iter() {
        bytes.push(u8::try_from(*slot).expect("a slot of the day is below 96"));
        for count in [counts.clicks, counts.first_visitors, counts.last_visitors] {
            let count = u32::try_from(count).expect("under 2^32 clicks in a quarter hour");
            bytes.extend_from_slice(&count.to_be_bytes());
        }
    }
    bytes
}

/// The quarter hours of a packed column; an error for a length that is not a whole
/// number of entries (a damaged row).
pub fn unpack(bytes: &[u8]) -> Result<Vec<(i64, SlotCounts)>, String> {
    if !bytes.len().is_multiple_of(ENTRY) {
        return Err(format!(
            "a packed slots value of {} bytes is not a whole number of {ENTRY}-byte entries",
            bytes.len()
        ));
    }
    Ok(bytes
        .chunks_exact(ENTRY)
        .map(|entry| {
            let count = |at: usize| {
                i64::from(u32::from_be_bytes(
                    entry[at..at + 4].try_into().expect("4 bytes"),
                ))
            };
            let counts = SlotCounts {
                clicks: count(1),
                first_visitors: count(5),
                last_visitors: count(9),
            };
            (i64::from(entry[0]), counts)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(clicks: i64, first_visitors: i64, last_visitors: i64) -> SlotCounts {
        SlotCounts {
            clicks,
            first_visitors,
            last_visitors,
        }
    }

    #[test]
    fn quarter_hours_come_back_in_slot_order() {
        let mut slots = vec![(95, counts(70_000, 2, 300)), (0, counts(1, 1, 0))];
        let packed = pack(&mut slots);
        assert_eq!(packed.len(), 26);
        assert_eq!(
            &packed[..13],
            [0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0],
            "big-endian, as int4send writes"
        );
        assert_eq!(
            unpack(&packed).unwrap(),
            [(0, counts(1, 1, 0)), (95, counts(70_000, 2, 300))]
        );
    }

    #[test]
    fn a_damaged_value_is_an_error() {
        assert!(unpack(&[1, 2, 3]).unwrap_err().contains("3 bytes"));
        assert_eq!(unpack(&[]).unwrap(), []);
    }
}
