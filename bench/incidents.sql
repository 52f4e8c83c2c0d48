-- bench/incidents.sql: reports :from to :n for the benchmark, in one pass
-- of generate_series (psql -v from=1 -v n=1000000 -f bench/incidents.sql;
-- bench/incidents.sh tops a set up from where it is).
--
-- Spread over the demo town's area (incidents.area: 6.68-6.77 E,
-- 44.90-44.96 N, about 7 x 6.7 km), denser in the village (a third within
-- a kilometre of the square), under the demo's categories, filed over the
-- three years before now by the demo resident or anonymously: mostly
-- resolved or closed, a tenth open, some acknowledged or in progress, as a
-- town's map holds them.  Descriptions say "bench" so that they are easy
-- to find.  No history or supporters: the map and the submissions do not
-- read them.  Runs as the database's owner.
\set ON_ERROR_STOP on

CREATE TEMP TABLE bench_cats AS
    SELECT row_number() OVER (ORDER BY code) - 1 AS n, code, department,
    resolution_days FROM incidents.categories;

INSERT INTO incidents.reports (category, department, description, position,
    status, close_reason, reporter_id, supporters, created_at, updated_at,
    expected_at, finished_at)
SELECT c.code, c.department,
    'bench ' || x.g || ' : ' || (ARRAY['trou dans la chaussée',
    'lampadaire éteint', 'poubelle pleine', 'plaque de verglas',
    'panneau tordu', 'fuite sur le trottoir', 'banc cassé'])[1 + x.g % 7],
    ST_SetSRID(ST_MakePoint(x.lon, x.lat), 4326)::geography,
    x.st, CASE WHEN x.st = 'closed' THEN 'invalid' END,
    CASE WHEN x.g % 3 = 0 THEN NULL ELSE (SELECT id FROM identity.accounts
    WHERE email = 'resident@demo.guichet.test') END,
    x.g % 5, x.at, x.at + interval '1 day',
    x.at + make_interval(days => c.resolution_days),
    CASE WHEN x.st IN ('resolved', 'closed') THEN x.at + interval '1 day' END
FROM (
    SELECT g,
        CASE WHEN g % 3 = 0 THEN 6.7219 + (random() - 0.5) * 0.025
            ELSE 6.68 + random() * 0.09 END AS lon,
        CASE WHEN g % 3 = 0 THEN 44.9316 + (random() - 0.5) * 0.018
            ELSE 44.90 + random() * 0.06 END AS lat,
        CASE WHEN g % 10 = 0 THEN 'open' WHEN g % 10 = 1 THEN 'acknowledged'
            WHEN g % 10 = 2 THEN 'in_progress' WHEN g % 10 = 3 THEN 'closed'
            ELSE 'resolved' END AS st,
        now() - (random() * interval '3 years') AS at
    FROM generate_series(:from, :n) g) x
JOIN bench_cats c ON c.n = x.g % (SELECT count(*) FROM bench_cats);

ANALYZE incidents.reports;
