//! Which months and financial years a report may cover: one rule for every route, format and
//! host (the API, the staff pages, `p3 report`, the monthly schedule, the AWS reporting
//! function), so a period one of them accepts is never refused, or failed, by another.
//!
//! A month from January 1900 to December 9998. The floor is the first date a spreadsheet holds
//! (Excel's calendar starts on 1 January 1900), so every date of a month's workbook can be
//! written as a date. The ceiling leaves the year after it inside the four-digit years every
//! format writes: a month's report also names the month after it (the workbook's creation
//! date is the 1st of the following month) and its cases' deadlines run past its end.
//!
//! A financial year (April `YYYY` to March `YYYY+1`, named by `YYYY`) when all twelve of its
//! months are reportable: 1900 to 9997.

use crate::london::Month;

/// The first month a report may cover.
pub const FIRST_MONTH: Month = Month {
    year: 1900,
    month: 1,
};

/// The last month a report may cover.
pub const LAST_MONTH: Month = Month {
    year: 9998,
    month: 12,
};

/// Why a period was refused; the text is written for the person who asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    /// Not written `YYYY-MM`.
    #[error("`{0}` is not a month in the form YYYY-MM, e.g. 2025-10")]
    NotAMonth(String),
    /// A month outside [`FIRST_MONTH`]..=[`LAST_MONTH`].
    #[error("`{0}` is outside the months a report can cover ({FIRST_MONTH} to {LAST_MONTH})")]
    MonthOutOfRange(String),
    /// Not a whole year.
    #[error("`{0}` is not a year such as 2025 (the financial year April 2025 to March 2026)")]
    NotAYear(String),
    /// A financial year with a month outside the reportable months.
    #[error(
        "{0} is outside the financial years a report can cover ({first} to {last})",
        first = FIRST_MONTH.year,
        last = LAST_MONTH.year - 1
    )]
    YearOutOfRange(i32),
}

/// Whether a report may cover `month`.
pub fn month_is_reportable(month: Month) -> bool {
    (FIRST_MONTH..=LAST_MONTH).contains(&month)
}

/// Reads a report's month from `YYYY-MM` and checks it is one a report may cover.
pub fn parse_month(text: &str) -> Result<Month, PeriodError> {
    let text = text.trim();
    let month: Month = text
        .parse()
        .map_err(|_| PeriodError::NotAMonth(text.to_string()))?;
    if month_is_reportable(month) {
        Ok(month)
    } else {
        Err(PeriodError::MonthOutOfRange(text.to_string()))
    }
}

/// Checks a financial year (April `year` to March `year + 1`) is one a report may cover.
pub fn check_financial_year(year: i32) -> Result<i32, PeriodError> {
    let april = Month { year, month: 4 };
    let march = Month {
        year: year.saturating_add(1),
        month: 3,
    };
    if month_is_reportable(april) && month_is_reportable(march) {
        Ok(year)
    } else {
        Err(PeriodError::YearOutOfRange(year))
    }
}

/// Reads a financial year (`YYYY`, the year its April falls in) and checks it.
pub fn parse_financial_year(text: &str) -> Result<i32, PeriodError> {
    let text = text.trim();
    let year: i32 = text
        .parse()
        .map_err(|_| PeriodError::NotAYear(text.to_string()))?;
    check_financial_year(year)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn january_1900_to_december_9998_are_reportable() {
        assert_eq!(parse_month("1900-01").unwrap(), FIRST_MONTH);
        assert_eq!(parse_month("9998-12").unwrap(), LAST_MONTH);
        assert_eq!(
            parse_month(" 2025-10 ").unwrap(),
            Month {
                year: 2025,
                month: 10
            }
        );
    }

    #[test]
    fn months_beyond_the_range_are_refused_as_out_of_range() {
        for m in ["1899-12", "9999-01", "9999-12", "0000-01"] {
            assert_eq!(
                parse_month(m),
                Err(PeriodError::MonthOutOfRange(m.to_string())),
                "{m}"
            );
        }
    }

    #[test]
    fn text_that_is_not_a_month_is_refused_as_such() {
        for m in [
            "", "2025-13", "2025-00", "25-10", "10000-01", "2025-1", "-999-01", "2025/10",
        ] {
            assert_eq!(
                parse_month(m),
                Err(PeriodError::NotAMonth(m.to_string())),
                "{m}"
            );
        }
    }

    #[test]
    fn a_financial_year_is_reportable_when_all_its_months_are() {
        assert_eq!(parse_financial_year("1900"), Ok(1900));
        assert_eq!(parse_financial_year("9997"), Ok(9997));
        // 1899: April 1899 is before the first month; 9998: March 9999 is after the last.
        assert_eq!(
            parse_financial_year("1899"),
            Err(PeriodError::YearOutOfRange(1899))
        );
        assert_eq!(
            parse_financial_year("9998"),
            Err(PeriodError::YearOutOfRange(9998))
        );
        assert_eq!(
            check_financial_year(i32::MAX),
            Err(PeriodError::YearOutOfRange(i32::MAX))
        );
        assert_eq!(
            parse_financial_year("20x5"),
            Err(PeriodError::NotAYear("20x5".to_string()))
        );
    }
}
