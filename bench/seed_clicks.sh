# Sourced by the benchmarks that seed links or clicks (redirect.sh, cpu_split.sh,
# insight.sh, dashboard.sh, transfer.sh): `seed_sql` (the links) and `clicks_insert` (the
# clicks; needs DAY_MS and a `visitor_expr` function : the visitor key of `v`, per database).
#
#   clicks_insert LINKS VISITORS AT_EXPR COUNT SERIES
#
# prints one INSERT of COUNT human clicks on links 1..LINKS, click i at AT_EXPR (SQL in i);
# visitors from a pool of VISITORS a UTC day (so some click more than once). As in real
# data, a visitor's traits (country, city, device, browser, OS) follow from the visitor
# (they come from the IP address and User-Agent the key hashes); source, medium, referrer
# and language vary per click. SERIES is a printf format of a query of i from 1 to %s.
clicks_insert() {
  local links=$1 visitors=$2 at_expr=$3 count=$4 series=$5
  cat <<SQL
INSERT INTO clicks (org_id, link_id, at, bot, visitor, country, city, device, browser, os,
                    referrer, source, medium, campaign, language)
SELECT 1, 1 + (i % $links), at, FALSE, $(visitor_expr),
       CASE v % 5 WHEN 0 THEN 'DE' WHEN 1 THEN 'US' WHEN 2 THEN 'FR' WHEN 3 THEN 'JP' ELSE 'BR' END,
       CASE v % 5 WHEN 0 THEN 'Berlin' WHEN 1 THEN 'New York' WHEN 2 THEN 'Paris' WHEN 3 THEN 'Tokyo' ELSE 'Sao Paulo' END,
       CASE v % 3 WHEN 0 THEN 'Desktop' WHEN 1 THEN 'Mobile' ELSE 'Tablet' END,
       CASE v % 4 WHEN 0 THEN 'Chrome' WHEN 1 THEN 'Safari' WHEN 2 THEN 'Firefox' ELSE 'Edge' END,
       CASE (v / 4) % 4 WHEN 0 THEN 'Windows' WHEN 1 THEN 'iOS' WHEN 2 THEN 'Android' ELSE 'macOS' END,
       CASE i % 7 WHEN 0 THEN 'google.com' WHEN 1 THEN 't.co' ELSE '' END,
       CASE i % 7 WHEN 0 THEN 'google' WHEN 1 THEN 'twitter' ELSE 'direct' END,
       CASE i % 7 WHEN 0 THEN 'organic' WHEN 1 THEN 'social' ELSE 'none' END,
       NULL, CASE i % 2 WHEN 0 THEN 'en-US' ELSE 'de-DE' END
FROM (SELECT i, at, (i / 3) % $visitors + (at / $DAY_MS) * 20000 AS v
      FROM (SELECT i, $at_expr AS at
            FROM ($(printf "$series" "$count")) AS s) AS t) AS u;
SQL
}

# Postgres since migration 0019: `clicks` is a view over narrow rows (`click_rows`) and two
# dictionaries, and takes no INSERT. Seeding SQL goes between pg_seed_begin, which makes a
# session table `clicks` of the old shape (it hides the view for the session), and
# pg_seed_end, which moves its rows into the dictionaries and `click_rows` in time order
# (as the recorder writes them; into the table `clicks` for a build from before 0019).
# Visitor keys: their first 8 bytes, as the server keeps.
pg_seed_begin() {
  cat <<'SQL'
CREATE TEMP TABLE clicks (org_id BIGINT, link_id BIGINT, at BIGINT, bot BOOLEAN,
  outcome TEXT NOT NULL DEFAULT '', visitor BYTEA, country TEXT, city TEXT, device TEXT,
  browser TEXT, os TEXT, referrer TEXT, source TEXT, medium TEXT, campaign TEXT,
  language TEXT);
SQL
}
pg_seed_end() {
  cat <<'SQL'
DO $$
BEGIN
IF to_regclass('public.click_rows') IS NULL THEN
  -- A build from before migration 0019 (an A/B): `clicks` is still the table.
  INSERT INTO public.clicks (org_id, link_id, at, bot, outcome, visitor, country, city, device,
                             browser, os, referrer, source, medium, campaign, language)
  SELECT org_id, link_id, at, bot, outcome, visitor, country, city, device, browser, os,
         referrer, source, medium, campaign, language
  FROM pg_temp.clicks ORDER BY at;
ELSE
  INSERT INTO click_traits (country, city, device, browser, os, language)
  SELECT DISTINCT country, city, device, browser, os, language FROM pg_temp.clicks
  ON CONFLICT DO NOTHING;
  INSERT INTO click_origins (outcome, referrer, source, medium, campaign)
  SELECT DISTINCT outcome, referrer, source, medium, COALESCE(campaign, '') FROM pg_temp.clicks
  ON CONFLICT DO NOTHING;
  ANALYZE click_traits;
  ANALYZE click_origins;
  INSERT INTO click_rows (org_id, link_id, at, visitor, traits, origin, bot)
  SELECT c.org_id, c.link_id, c.at,
         ('x' || rpad(encode(substring(c.visitor FROM 1 FOR 8), 'hex'), 16, '0'))::bit(64)::bigint,
         t.id, o.id, c.bot
  FROM pg_temp.clicks c
  JOIN click_traits t
    ON (t.country, t.city, t.device, t.browser, t.os, t.language)
     = (c.country, c.city, c.device, c.browser, c.os, c.language)
  JOIN click_origins o
    ON (o.outcome, o.referrer, o.source, o.medium, o.campaign)
     = (c.outcome, c.referrer, c.source, c.medium, COALESCE(c.campaign, ''))
  ORDER BY c.at;
END IF;
END
$$;
DROP TABLE pg_temp.clicks;
SQL
}

seed_sql() { # $1 = domain; SQL that works on both backends after `openpxl migrate`
  cat <<SQL
INSERT INTO organizations (name, created_at) VALUES ('bench', 0);
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $LINKS - 1)
INSERT INTO links (org_id, domain, route, destination, created_at, updated_at)
SELECT (SELECT id FROM organizations WHERE name = 'bench'), '$1', 'r' || i,
       'https://example.com/page/' || i, 0, 0 FROM n;
SQL
  # TARGETED=1 (builds with smart links only): every link gets 20 rules on device and OS,
  # none of which holds for the bench's desktop Chrome, and 3 A/B variants: the heaviest
  # choice there is (the User-Agent parsed, every rule tried, a variant hashed).
  if [ "${TARGETED:-0}" = 1 ]; then
    local rules="" n
    for n in $(seq 0 19); do
      rules="$rules${rules:+,}{\"when\":{\"device\":[\"Mobile\",\"Tablet\"],\"os\":[\"iOS\",\"Android\"]},\"destination\":\"https://example.com/rule-$n\"}"
    done
    local variants='[{"destination":"https://example.com/a","weight":50},{"destination":"https://example.com/b","weight":30},{"destination":"https://example.com/c","weight":20}]'
    echo "UPDATE links SET rules = '[$rules]', variants = '$variants';"
  fi
}
