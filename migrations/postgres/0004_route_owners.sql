-- A route on a domain belongs, for ever, to the first organization that used it. Its own
-- organization may take it again after deleting its link; another organization never can,
-- so a short URL printed on a poster or in a book can never start sending people to a
-- stranger's page. (Live uniqueness stays with links_live_domain_route_key.)
CREATE TABLE route_owners (
    domain  TEXT    NOT NULL,
    route   TEXT    NOT NULL,
    org_id  BIGINT  NOT NULL REFERENCES organizations (id),
    PRIMARY KEY (domain, route)
);

-- Every route used so far: by the organization of its live link, else of its newest link.
INSERT INTO route_owners (domain, route, org_id)
SELECT domain, route, org_id FROM (
    SELECT domain, route, org_id,
           ROW_NUMBER() OVER (PARTITION BY domain, route
                              ORDER BY CASE WHEN deleted_at IS NULL THEN 0 ELSE 1 END, id DESC)
             AS choice
    FROM links
) AS ranked
WHERE choice = 1;
