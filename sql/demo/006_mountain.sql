-- Demo: the mountain module's part of the demo town (src/mountain): its
-- first snow report.  The reference data (lifts, slopes, seasons, age
-- bands, lift passes and prices) is sql/demo/mountain/montgenevre.json,
-- which the module's demo hook imports after this file, through the same
-- import as `guichetctl mountain import` (src/mountain/reference.c).
--
-- The 22 lifts are the real lifts of Montgenèvre: their names and types
-- come from sql/demo/lifts/montgenevre.json, a copy of the Via Lattea
-- lift report (vialattea.it Lift-and-Trails-Report?IdLoc=5) as captured
-- in pirxpilot/liftie's test fixtures (BSD-3-Clause, LICENSE-liftie.md
-- beside it); the Italian type is mapped to ours (Sciovia drag_lift,
-- Seggiovia chairlift, Telecabina gondola, Tappeto magic_carpet).  What
-- the capture does not say is the demo's own and only plausible: the
-- sectors, the capacities (from the name's prefix: SC drag lift 900/h,
-- SG2 1200/h, SG4 2400/h, TC6 2000/h), the hours, and the positions of
-- the stations, placed around the village (44.9316 N, 6.7219 E), not
-- surveyed.  The slopes, seasons and lift-pass prices are the demo's.
-- Idempotent: guichetctl demo may run any number of times; the import
-- never changes a status an operator set.

-- The first snow report of the demo season.
INSERT INTO mountain.snow_reports (depth_bottom_cm, depth_top_cm,
    fresh_24h_cm, last_snowfall, avalanche_risk, avalanche_date, weather,
    temperature_c, comment_fr, comment_en, comment_it, reported_at,
    reported_by)
SELECT 45, 110, 12, '2026-11-28', 2, '2026-11-29', 'sunny', -6,
    'Belle neige fraîche sur tout le domaine.',
    'Good fresh snow all over the area.',
    'Bella neve fresca su tutto il comprensorio.', now(), 'demo'
WHERE NOT EXISTS (SELECT 1 FROM mountain.snow_reports);
