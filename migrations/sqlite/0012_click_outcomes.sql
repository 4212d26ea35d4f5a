-- What answered each click (docs/API.md §6.3): 'rule:N', 'variant:N', 'expired',
-- 'password', or '' for 'destination' (nearly every click: the shortest value on the
-- largest table). Clicks stored before this migration were all counted as clicks of the
-- link and are recorded as 'destination' (this version is the first to tell rules and
-- variants apart).
ALTER TABLE clicks ADD COLUMN outcome TEXT NOT NULL DEFAULT '';

-- Days already rolled up get their 'outcome' rows without being redone: every click of
-- such a day has the outcome 'destination' (''), so its 'outcome' rows are its
-- every-click rows ('all' value rows and '' trait rows) with that value.
INSERT INTO daily_clicks (org_id, link_id, domain, per_traits, dimension, day, value,
                          country, city, device, browser, os, clicks, visitors)
SELECT org_id, link_id, domain, per_traits, 'outcome', day, '',
       country, city, device, browser, os, clicks, visitors
FROM daily_clicks
WHERE (per_traits = 0 AND dimension = 'all') OR (per_traits = 1 AND dimension = '');
