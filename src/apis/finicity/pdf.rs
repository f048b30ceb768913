//! The report as a PDF: a summary page (header, business summary, chart of
//! the summed daily balances, the accounts) and one page per account (its
//! metrics, a chart of its daily ending balances, its 30-day periods).
//!
//! Built with `pdf-writer` on the standard Helvetica fonts (nothing to
//! embed); no clock or random input, so one report always renders the same
//! bytes.

use chrono::{DateTime, Datelike, Timelike};
use pdf_writer::{Content, Date, Name, Pdf, Rect, Ref, Str, TextStr};

use super::clock;
use super::decisioning::report::Finished;
use super::decisioning::store::DecisioningReport;
use super::metrics::{BalanceAnalyticsMetrics, DailyBalance, dollars};
use super::report::{Report, TITLE};
use crate::shared::time::parse_rfc3339;

const PAGE_WIDTH: f32 = 612.0; // US Letter
const PAGE_HEIGHT: f32 = 792.0;
const MARGIN: f32 = 50.0;
const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");

pub fn render(report: &Report, fcra: bool) -> Vec<u8> {
    let title = if fcra {
        format!("{TITLE} - FCRA")
    } else {
        TITLE.to_owned()
    };
    let mut pages = vec![summary_page(report, &title)];
    pages.extend(report.account_results.iter().map(|result| {
        let details = &result.account_details;
        let mut page = Page::new();
        page.heading(&format!(
            "{} ({}, ending {})",
            details.name, details.kind, details.account_number_display
        ));
        page.line(&format!(
            "Account {} at {} - owner {}",
            result.account_id, details.institution.institution_name, details.account_owner.name
        ));
        page.line(&format!(
            "Data available from {} to {} ({} days)",
            result.historic_data_availability.historic_availability_begin_date,
            result.historic_data_availability.historic_availability_end_date,
            result.historic_data_availability.historic_available_days
        ));
        page.gap();
        page.metrics(&result.balance_analytics_metrics);
        page.chart(
            "Daily ending balance",
            &result
                .balance_analytics_metrics
                .daily_balances_for_the_report_time_period,
        );
        page.periods(&result.balance_analytics_metrics);
        page.footer(&report.report_header.report_id);
        page
    }));
    assemble(&title, parse_rfc3339(&report.report_header.report_date), pages)
}

/// A finished `/decisioning` report: a summary page (the report, its
/// custom fields, the summed daily balances, the accounts) and a page per
/// account (its balance chart, the first attribute's periods, its streams
/// and latest transactions).
pub(crate) fn render_decisioning(report: &Finished<'_>, source: &DecisioningReport) -> Vec<u8> {
    let title = source.title();
    let mut summary = Page::new();
    summary.title(title);
    let created = DateTime::from_timestamp(source.request.created.timestamp(), 0);
    let mut rows = vec![
        ("Report ID", source.id.clone()),
        ("Report type", source.type_code()),
        ("Customer ID", source.request.customer.id.to_string()),
        ("Requester", source.request.requester_name.clone()),
        (
            "Report period",
            format!("{} to {} ({} days)", source.request.start, clock::local_date(source.request.created), report.days),
        ),
    ];
    if let Some(business) = &source.request.business {
        rows.push(("Business", business.name.clone()));
    }
    if let Some(consumer) = &source.request.consumer {
        rows.push(("Consumer", format!("{} {}", consumer.first_name, consumer.last_name)));
    }
    for field in source.request.custom_fields.iter().filter(|f| f.shown) {
        rows.push(("Custom field", format!("{}: {}", field.label, field.value)));
    }
    summary.table(&rows);
    summary.gap();
    let mut summed: std::collections::BTreeMap<chrono::NaiveDate, i64> = Default::default();
    for account in report.institutions.iter().flat_map(|i| &i.accounts) {
        for (day, balance) in &account.series {
            *summed.entry(*day).or_default() += balance;
        }
    }
    summary.chart("Daily ending balance, all accounts", &daily(summed.into_iter()));
    summary.heading("Accounts");
    summary.row_bold(&["Account ID", "Name", "Type", "Institution", "Current balance"]);
    for institution in &report.institutions {
        for account in &institution.accounts {
            summary.row(&[
                &account.id.to_string(),
                &account.name,
                &account.kind,
                institution.name,
                &money(account.current_balance),
            ]);
        }
    }
    summary.footer(&source.id);
    let mut pages = vec![summary];
    for institution in &report.institutions {
        for account in &institution.accounts {
            let mut page = Page::new();
            page.heading(&format!("{} ({}, ending {})", account.name, account.kind, account.number));
            page.line(&format!("Account {} at {} - owner {}", account.id, institution.name, account.owner_name));
            page.line(&format!(
                "Current balance {}, available {}",
                money(account.current_balance),
                money(account.available_balance)
            ));
            page.gap();
            page.chart("Daily ending balance", &daily(account.series.iter().copied()));
            if let Some(attribute) = account.analytics.state_attributes.first()
                && let Some(by_interval) = attribute.reported_by_time_periods.first()
            {
                page.heading(attribute.attribute_name);
                page.row_bold(&["From", "To", "Days", "Minimum", "Mean", "Maximum", "Ending"]);
                for period in by_interval.periods.iter().rev().take(12) {
                    let stats = period.stats.as_ref();
                    page.row(&[
                        &period.start_date,
                        &period.end_date,
                        &period.count.to_string(),
                        &stats.map_or_else(String::new, |s| money(s.min)),
                        &stats.map_or_else(String::new, |s| money(s.mean)),
                        &stats.map_or_else(String::new, |s| money(s.max)),
                        &money(period.ending_value),
                    ]);
                }
                page.gap();
            }
            page.heading("Recurring streams");
            for stream in &account.analytics.streams {
                page.line(&format!(
                    "{} to {}: every {} days, last {} days ago, {} transactions",
                    stream.payor,
                    stream.payee,
                    stream.cadence,
                    stream.recency,
                    stream.transaction_ids.len()
                ));
            }
            page.gap();
            page.heading("Latest transactions");
            for t in account.transactions.iter().take(8) {
                let day = DateTime::from_timestamp(t.posted_date, 0)
                    .map(|d| d.format("%Y-%m-%d").to_string())
                    .unwrap_or_default();
                page.line(&format!("{day}  {}  {}", t.description, money(t.amount)));
            }
            page.footer(&source.id);
            pages.push(page);
        }
    }
    assemble(title, created, pages)
}

fn daily(series: impl Iterator<Item = (chrono::NaiveDate, i64)>) -> Vec<DailyBalance> {
    series
        .map(|(day, cents)| DailyBalance {
            date: clock::date(day),
            day_of_week: clock::day_name(day),
            ending_balance: dollars(cents),
        })
        .collect()
}

fn summary_page(report: &Report, title: &str) -> Page {
    let header = &report.report_header;
    let summary = &report.business_summary;
    let mut page = Page::new();
    page.title(title);
    let mut rows = vec![
        ("Report ID", header.report_id.clone()),
        ("Report date", header.report_date.clone()),
        ("Customer ID", report.customer_id.to_string()),
        ("Requester", report.requester_name.clone()),
    ];
    if let Some(reference) = &header.reference_number {
        rows.push(("Reference number", reference.clone()));
    }
    if let Some(name) = &header.business_name {
        rows.push(("Business", name.clone()));
    }
    let address: Vec<&str> = [
        &header.business_address,
        &header.business_city,
        &header.business_state,
        &header.business_zip,
    ]
    .into_iter()
    .filter_map(|p| p.as_deref())
    .collect();
    if !address.is_empty() {
        rows.push(("Address", address.join(", ")));
    }
    rows.push((
        "Report period",
        format!(
            "{} to {} ({} days requested)",
            summary.current_report_request.report_begin_date,
            summary.current_report_request.report_end_date,
            summary.current_report_request.requested_days_for_report
        ),
    ));
    page.table(&rows);
    page.gap();
    page.heading("Business summary (all accounts)");
    page.metrics(&summary.balance_analytics_metrics);
    page.chart(
        "Daily ending balance, all accounts",
        &summary
            .balance_analytics_metrics
            .daily_balances_for_the_report_time_period,
    );
    page.heading("Accounts");
    page.row_bold(&["Account ID", "Name", "Type", "Institution", "Current balance"]);
    for result in &report.account_results {
        let d = &result.account_details;
        page.row(&[
            &result.account_id.to_string(),
            &d.name,
            &d.kind,
            d.institution.institution_name,
            &money(d.current_balance),
        ]);
    }
    page.footer(&header.report_id);
    page
}

/// Catalog, page tree, fonts, document info, then the pages.
fn assemble<Tz: chrono::TimeZone>(title: &str, created: Option<DateTime<Tz>>, pages: Vec<Page>) -> Vec<u8> {
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let info = Ref::new(5);
    let first_page = 6;
    let page_ids: Vec<Ref> = (0..pages.len())
        .map(|i| Ref::new(first_page + 2 * i as i32))
        .collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().copied())
        .count(page_ids.len() as i32);
    pdf.type1_font(regular)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold)
        .base_font(Name(b"Helvetica-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    {
        let mut document = pdf.document_info(info);
        document.title(TextStr(title)).producer(TextStr("leadsim"));
        if let Some(created) = created {
            document.creation_date(
                Date::new(created.year().clamp(0, 9999) as u16)
                    .month(created.month() as u8)
                    .day(created.day() as u8)
                    .hour(created.hour() as u8)
                    .minute(created.minute() as u8)
                    .second(created.second() as u8)
                    .utc_offset_hour(0),
            );
        }
    }
    for (page, id) in pages.into_iter().zip(&page_ids) {
        let content_id = Ref::new(id.get() + 1);
        let mut writer = pdf.page(*id);
        writer
            .parent(tree)
            .media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT))
            .contents(content_id);
        writer.resources().fonts().pair(REGULAR, regular).pair(BOLD, bold);
        drop(writer);
        pdf.stream(content_id, &page.content.finish());
    }
    pdf.finish()
}

/// One page being laid out top to bottom.
struct Page {
    content: Content,
    /// The baseline of the next line.
    y: f32,
}

impl Page {
    fn new() -> Self {
        Self {
            content: Content::new(),
            y: PAGE_HEIGHT - MARGIN,
        }
    }

    fn text(&mut self, font: Name<'_>, size: f32, x: f32, y: f32, text: &str) {
        let bytes = win_ansi(text);
        self.content
            .begin_text()
            .set_font(font, size)
            .next_line(x, y)
            .show(Str(&bytes))
            .end_text();
    }

    fn title(&mut self, title: &str) {
        self.text(BOLD, 18.0, MARGIN, self.y, title);
        self.y -= 28.0;
    }

    fn heading(&mut self, heading: &str) {
        self.text(BOLD, 12.0, MARGIN, self.y, heading);
        self.y -= 16.0;
    }

    fn line(&mut self, line: &str) {
        self.text(REGULAR, 9.0, MARGIN, self.y, line);
        self.y -= 12.0;
    }

    fn gap(&mut self) {
        self.y -= 6.0;
    }

    /// Label and value pairs.
    fn table(&mut self, rows: &[(&str, String)]) {
        for (label, value) in rows {
            self.text(BOLD, 9.0, MARGIN, self.y, label);
            self.text(REGULAR, 9.0, MARGIN + 130.0, self.y, value);
            self.y -= 12.0;
        }
    }

    const COLUMNS: [f32; 7] = [0.0, 80.0, 155.0, 230.0, 305.0, 380.0, 455.0];

    fn row_with(&mut self, font: Name<'_>, cells: &[&str]) {
        for (cell, x) in cells.iter().zip(Self::COLUMNS) {
            let x = if cells.len() == 5 { x * 1.4 } else { x };
            self.text(font, 8.0, MARGIN + x, self.y, cell);
        }
        self.y -= 11.0;
    }

    fn row(&mut self, cells: &[&str]) {
        self.row_with(REGULAR, cells);
    }

    fn row_bold(&mut self, cells: &[&str]) {
        self.row_with(BOLD, cells);
    }

    fn metrics(&mut self, m: &BalanceAnalyticsMetrics) {
        let negative_days: u32 = m
            .count_daily_negative_balances_by_month_for_the_report_time_period
            .iter()
            .map(|p| p.count)
            .sum();
        let weeks = &m.historic_number_of_weeks_average_balance_increasing;
        let rows = [
            ("Current balance", money(m.current_running_balance)),
            ("Available balance", money(m.available_balance)),
            (
                "Average daily balance",
                money(m.average_daily_balance_for_the_report_time_period),
            ),
            (
                "Average weekday balance",
                money(m.average_weekday_balance_for_the_report_time_period),
            ),
            (
                "Minimum daily balance",
                money(m.minimum_running_balance_for_the_report_time_period),
            ),
            (
                "Maximum daily balance",
                money(m.maximum_running_balance_for_the_report_time_period),
            ),
            ("Days ending negative", negative_days.to_string()),
            (
                "Weeks average rose",
                format!(
                    "{} of {} weeks",
                    weeks.historic_number_of_weeks_average_balance_increasing,
                    weeks.historic_number_of_weeks_with_data_available
                ),
            ),
        ];
        self.table(&rows);
        self.gap();
    }

    /// The 30-day periods, newest first.
    fn periods(&mut self, m: &BalanceAnalyticsMetrics) {
        self.heading("30-day periods");
        self.row_bold(&[
            "Period",
            "From",
            "To",
            "Minimum",
            "Average",
            "Maximum",
            "Negative days",
        ]);
        let periods = m
            .minimum_daily_balance_by_month_for_the_report_time_period
            .iter()
            .zip(&m.average_daily_balance_by_month_for_the_report_time_period)
            .zip(&m.maximum_daily_balance_by_month_for_the_report_time_period)
            .zip(&m.count_daily_negative_balances_by_month_for_the_report_time_period);
        for (((min, avg), max), negative) in periods {
            self.row(&[
                &min.period,
                &min.period_begin_date,
                &min.period_end_date,
                &money(min.amount),
                &money(avg.amount),
                &money(max.amount),
                &negative.count.to_string(),
            ]);
        }
    }

    /// A line chart of the balances, with a dashed zero line when the
    /// balance crosses it.
    fn chart(&mut self, caption: &str, days: &[DailyBalance]) {
        const HEIGHT: f32 = 150.0;
        let width = PAGE_WIDTH - 2.0 * MARGIN - 60.0;
        let left = MARGIN + 60.0;
        self.heading(caption);
        let bottom = self.y - HEIGHT;
        let (low, high) = days.iter().fold((0.0_f64, 0.0_f64), |(lo, hi), d| {
            (lo.min(d.ending_balance), hi.max(d.ending_balance))
        });
        let span = if high > low { high - low } else { 1.0 };
        let y_of = |amount: f64| bottom + ((amount - low) / span) as f32 * HEIGHT;

        self.content
            .set_stroke_rgb(0.6, 0.6, 0.6)
            .set_line_width(0.5)
            .rect(left, bottom, width, HEIGHT)
            .stroke();
        if low < 0.0 && high > 0.0 {
            self.content
                .set_dash_pattern([3.0, 3.0], 0.0)
                .move_to(left, y_of(0.0))
                .line_to(left + width, y_of(0.0))
                .stroke()
                .set_dash_pattern([], 0.0);
        }
        if let Some(first) = days.first() {
            let step = if days.len() > 1 {
                width / (days.len() - 1) as f32
            } else {
                0.0
            };
            self.content
                .set_stroke_rgb(0.11, 0.24, 0.29)
                .set_line_width(1.0)
                .move_to(left, y_of(first.ending_balance));
            for (i, day) in days.iter().enumerate().skip(1) {
                self.content
                    .line_to(left + step * i as f32, y_of(day.ending_balance));
            }
            self.content.stroke();
        }
        self.text(REGULAR, 7.0, MARGIN, bottom + HEIGHT - 7.0, &money(high));
        self.text(REGULAR, 7.0, MARGIN, bottom, &money(low));
        if let (Some(first), Some(last)) = (days.first(), days.last()) {
            self.text(REGULAR, 7.0, left, bottom - 10.0, &first.date);
            self.text(REGULAR, 7.0, left + width - 38.0, bottom - 10.0, &last.date);
        }
        self.y = bottom - 26.0;
    }

    fn footer(&mut self, report_id: &str) {
        self.text(
            REGULAR,
            7.0,
            MARGIN,
            MARGIN / 2.0,
            &format!("Report {report_id} - generated by leadsim"),
        );
    }
}

/// `-$1,234.56`.
fn money(amount: f64) -> String {
    let cents = (amount * 100.0).round() as i64;
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    let dollars = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, digit) in dollars.chars().enumerate() {
        if i > 0 && (dollars.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("{sign}${grouped}.{:02}", cents % 100)
}

/// Helvetica with WinAnsiEncoding shows ASCII as is; anything else becomes `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c as u8
            } else {
                b'?'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_grouped_and_signed() {
        assert_eq!(money(0.0), "$0.00");
        assert_eq!(money(1234.5), "$1,234.50");
        assert_eq!(money(-1_234_567.891), "-$1,234,567.89");
        assert_eq!(money(999.999), "$1,000.00");
    }
}
