//! The analytics queries behind `GET /api/v1/insight`. Every query is built from a typed
//! [`ClickFilter`] with bound parameters only; the grouping dimensions come from a fixed
//! list, never from the request. Human clicks only: bot visits are never counted.

use sqlx::{Any, any::AnyArguments, query::QueryAs};

use super::Store;
use crate::timestamp::Millis;

/// Which clicks an insight counts.
#[derive(Debug, Clone, Default)]
pub struct ClickFilter {
    pub org_id: i64,
    pub link_id: Option<i64>,
    pub domain: Option<String>,
    pub device: Option<String>,
    pub browser: Option<String>,
    pub os: Option<String>,
    pub country: Option<String>,
    pub city: Option<String>,
    pub medium: Option<String>,
    pub source: Option<String>,
}

/// A breakdown dimension of the insight: a column of `clicks`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    Country,
    City,
    Device,
    Browser,
    Os,
    Source,
    Medium,
    Referrer,
    Language,
}

impl Dimension {
    pub const ALL: [Self; 9] = [
        Self::Country,
        Self::City,
        Self::Device,
        Self::Browser,
        Self::Os,
        Self::Source,
        Self::Medium,
        Self::Referrer,
        Self::Language,
    ];

    /// The column, and the name in the insight's `properties`.
    pub fn column(self) -> &'static str {
        match self {
            Self::Country => "country",
            Self::City => "city",
            Self::Device => "device",
            Self::Browser => "browser",
            Self::Os => "os",
            Self::Source => "source",
            Self::Medium => "medium",
            Self::Referrer => "referrer",
            Self::Language => "language",
        }
    }
}

/// Clicks and unique visitors of something.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub total: i64,
    pub unique: i64,
}

/// A parameter of a query being built.
enum Param {
    Int(i64),
    Text(String),
    Bool(bool),
}

/// SQL text and its parameters, numbered as they are added.
struct Sql {
    text: String,
    params: Vec<Param>,
}

impl Sql {
    fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            params: Vec::new(),
        }
    }

    /// Appends `$n` for a new parameter.
    fn param(&mut self, param: Param) -> &mut Self {
        self.params.push(param);
        self.text.push_str(&format!("${}", self.params.len()));
        self
    }

    fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// `AND c.org_id = $ AND c.bot = $ [AND ...]` for a filter, on clicks aliased `c`.
    fn filter(&mut self, filter: &ClickFilter) -> &mut Self {
        self.push(" c.org_id = ").param(Param::Int(filter.org_id));
        self.push(" AND c.bot = ").param(Param::Bool(false));
        if let Some(link_id) = filter.link_id {
            self.push(" AND c.link_id = ").param(Param::Int(link_id));
        }
        if let Some(domain) = &filter.domain {
            // Deleted links included: their clicks stay in the history.
            self.push(" AND c.link_id IN (SELECT id FROM links WHERE org_id = ")
                .param(Param::Int(filter.org_id))
                .push(" AND domain = ")
                .param(Param::Text(domain.clone()))
                .push(")");
        }
        let columns = [
            ("device", &filter.device),
            ("browser", &filter.browser),
            ("os", &filter.os),
            ("country", &filter.country),
            ("city", &filter.city),
            ("medium", &filter.medium),
            ("source", &filter.source),
        ];
        for (column, value) in columns {
            if let Some(value) = value {
                self.push(&format!(" AND c.{column} = "))
                    .param(Param::Text(value.clone()));
            }
        }
        self
    }

    fn range(&mut self, from: Millis, to: Millis) -> &mut Self {
        self.push(" AND c.at >= ")
            .param(Param::Int(from))
            .push(" AND c.at < ")
            .param(Param::Int(to))
    }

    fn query_as<'q, T>(&'q self) -> QueryAs<'q, Any, T, AnyArguments<'q>>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        let mut query = sqlx::query_as::<Any, T>(&self.text);
        for param in &self.params {
            query = match param {
                Param::Int(value) => query.bind(*value),
                Param::Text(value) => query.bind(value.as_str()),
                Param::Bool(value) => query.bind(*value),
            };
        }
        query
    }
}

impl Store {
    /// Clicks and unique visitors in `[from, to)`.
    pub async fn insight_counts(
        &self,
        filter: &ClickFilter,
        from: Millis,
        to: Millis,
    ) -> Result<Counts, sqlx::Error> {
        let mut sql = Sql::new("SELECT COUNT(*), COUNT(DISTINCT c.visitor) FROM clicks c WHERE");
        sql.filter(filter).range(from, to);
        let (total, unique): (i64, i64) = sql.query_as().fetch_one(&self.pool).await?;
        Ok(Counts { total, unique })
    }

    /// Clicks and unique visitors per bucket `[start, end)`, in the order given.
    pub async fn insight_buckets(
        &self,
        filter: &ClickFilter,
        buckets: &[(Millis, Millis)],
    ) -> Result<Vec<Counts>, sqlx::Error> {
        let mut counts = vec![Counts::default(); buckets.len()];
        if buckets.is_empty() {
            return Ok(counts);
        }
        let mut sql =
            Sql::new("SELECT b.column1, COUNT(*), COUNT(DISTINCT c.visitor) FROM (VALUES ");
        for (index, (start, end)) in buckets.iter().enumerate() {
            sql.push(if index == 0 { "(" } else { ", (" });
            let index = i64::try_from(index).unwrap_or(i64::MAX);
            sql.param(Param::Int(index))
                .push(", ")
                .param(Param::Int(*start))
                .push(", ")
                .param(Param::Int(*end))
                .push(")");
        }
        sql.push(") AS b JOIN clicks c ON c.at >= b.column2 AND c.at < b.column3 AND");
        sql.filter(filter);
        sql.push(" GROUP BY b.column1");
        let rows: Vec<(i64, i64, i64)> = sql.query_as().fetch_all(&self.pool).await?;
        for (index, total, unique) in rows {
            if let Some(slot) = usize::try_from(index).ok().and_then(|i| counts.get_mut(i)) {
                *slot = Counts { total, unique };
            }
        }
        Ok(counts)
    }

    /// Clicks and unique visitors per value of `dimension`, in no particular order.
    pub async fn insight_property(
        &self,
        filter: &ClickFilter,
        dimension: Dimension,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<(String, Counts)>, sqlx::Error> {
        let column = dimension.column();
        let mut sql = Sql::new(&format!(
            "SELECT c.{column}, COUNT(*), COUNT(DISTINCT c.visitor) FROM clicks c WHERE"
        ));
        sql.filter(filter).range(from, to);
        sql.push(&format!(" GROUP BY c.{column}"));
        let rows: Vec<(String, i64, i64)> = sql.query_as().fetch_all(&self.pool).await?;
        Ok(rows
            .into_iter()
            .map(|(value, total, unique)| (value, Counts { total, unique }))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_become_numbered_parameters() {
        let filter = ClickFilter {
            org_id: 7,
            link_id: Some(3),
            country: Some("DE".into()),
            ..ClickFilter::default()
        };
        let mut sql = Sql::new("SELECT 1 FROM clicks c WHERE");
        sql.filter(&filter).range(10, 20);
        assert_eq!(
            sql.text,
            "SELECT 1 FROM clicks c WHERE c.org_id = $1 AND c.bot = $2 AND c.link_id = $3 \
             AND c.country = $4 AND c.at >= $5 AND c.at < $6"
        );
        assert_eq!(sql.params.len(), 6);
    }
}
