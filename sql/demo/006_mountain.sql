-- Demo: the mountain module's part of the demo town (src/mountain).
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
-- Idempotent: guichetctl demo may run any number of times, and never
-- overwrites a status an operator set.
INSERT INTO mountain.lifts (id, name, kind, sector, capacity_per_hour, hours,
    bottom_lat, bottom_lon, bottom_alt, top_lat, top_lon, top_alt, position,
    status_at, source) VALUES
	('sc-la-durance', 'SC LA DURANCE', 'drag_lift', 'Front de neige', 900,
	    '{"winter": {"opens": "09:00", "closes": "16:45"}}',
	    44.9276, 6.7159, 1850, 44.9246, 6.7179, 1950, 1, now(), 'vialattea:100'),
	('sc-l-alp', 'SC L''ALP', 'drag_lift', 'Front de neige', 900,
	    '{"winter": {"opens": "09:00", "closes": "16:45"}}',
	    44.9296, 6.7159, 1850, 44.9266, 6.7179, 1950, 2, now(), 'vialattea:101'),
	('sc-l-alpet', 'SC L''ALPET', 'drag_lift', 'Front de neige', 900,
	    '{"winter": {"opens": "09:00", "closes": "16:45"}}',
	    44.9316, 6.7159, 1850, 44.9286, 6.7179, 1950, 3, now(), 'vialattea:85'),
	('sc-le-clot', 'SC LE CLOT', 'drag_lift', 'Le Brousset', 900,
	    '{"winter": {"opens": "09:00", "closes": "16:45"}}',
	    44.9336, 6.7159, 1850, 44.9416, 6.7219, 2300, 4, now(), 'vialattea:80'),
	('sc-le-col', 'SC LE COL', 'drag_lift', 'Les Gondrans', 900,
	    '{"winter": {"opens": "09:00", "closes": "16:45"}}',
	    44.9356, 6.7159, 1900, 44.9276, 6.7259, 2450, 5, now(), 'vialattea:88'),
	('sc-le-querelay', 'SC LE QUERELAY', 'drag_lift', 'Front de neige', 900,
	    '{"winter": {"opens": "09:00", "closes": "16:45"}}',
	    44.9276, 6.7189, 1850, 44.9246, 6.7209, 1950, 6, now(), 'vialattea:97'),
	('sc-les-3-fourneous', 'SC LES 3 FOURNEOUS', 'drag_lift', 'Front de neige', 900,
	    '{"winter": {"opens": "09:00", "closes": "16:45"}}',
	    44.9296, 6.7189, 1850, 44.9266, 6.7209, 1950, 7, now(), 'vialattea:86'),
	('sc-obelisque', 'SC OBELISQUE', 'drag_lift', 'Le Brousset', 900,
	    '{"winter": {"opens": "09:00", "closes": "16:45"}}',
	    44.9316, 6.7189, 1850, 44.9396, 6.7249, 2300, 8, now(), 'vialattea:106'),
	('sg2-le-chalvet-sup', 'SG2 LE CHALVET SUP.', 'chairlift', 'Le Chalvet', 1200,
	    '{"winter": {"opens": "09:00", "closes": "16:45"}}',
	    44.9336, 6.7189, 1860, 44.9216, 6.7149, 2400, 9, now(), 'vialattea:84'),
	('sg2-rocher-rouge', 'SG2 ROCHER ROUGE', 'chairlift', 'Front de neige', 1200,
	    '{"winter": {"opens": "09:00", "closes": "16:45"}}',
	    44.9356, 6.7189, 1850, 44.9326, 6.7209, 1950, 10, now(), 'vialattea:102'),
	('sg4-la-crete', 'SG4 LA CRETE', 'chairlift', 'Les Gondrans', 2400,
	    '{"winter": {"opens": "09:00", "closes": "16:45"}}',
	    44.9276, 6.7219, 1900, 44.9196, 6.7319, 2450, 11, now(), 'vialattea:104'),
	('sg4-le-brousset', 'SG4 LE BROUSSET', 'chairlift', 'Le Brousset', 2400,
	    '{"winter": {"opens": "09:00", "closes": "16:45"}}',
	    44.9296, 6.7219, 1850, 44.9376, 6.7279, 2300, 12, now(), 'vialattea:94'),
	('sg4-le-montquitaine', 'SG4 LE MONTQUITAINE', 'chairlift', 'Le Brousset', 2400,
	    '{"winter": {"opens": "09:00", "closes": "16:45"}}',
	    44.9316, 6.7219, 1850, 44.9396, 6.7279, 2300, 13, now(), 'vialattea:81'),
	('sg4-le-rocher-de-l-aigle', 'SG4 LE ROCHER DE L''AIGLE', 'chairlift', 'Les Gondrans', 2400,
	    '{"winter": {"opens": "09:00", "closes": "16:45"}}',
	    44.9336, 6.7219, 1900, 44.9256, 6.7319, 2450, 14, now(), 'vialattea:95'),
	('sg4-le-tremplin', 'SG4 LE TREMPLIN', 'chairlift', 'Le Chalvet', 2400,
	    '{"winter": {"opens": "09:00", "closes": "16:45"}}',
	    44.9356, 6.7219, 1860, 44.9236, 6.7179, 2400, 15, now(), 'vialattea:82'),
	('sg4-observatoire', 'SG4 OBSERVATOIRE', 'chairlift', 'Le Chalvet', 2400,
	    '{"winter": {"opens": "09:00", "closes": "16:45"}}',
	    44.9276, 6.7249, 1860, 44.9156, 6.7209, 2400, 16, now(), 'vialattea:103'),
	('sg4-prarial', 'SG4 PRARIAL', 'chairlift', 'Le Brousset', 2400,
	    '{"winter": {"opens": "09:00", "closes": "16:45"}}',
	    44.9296, 6.7249, 1850, 44.9376, 6.7309, 2300, 17, now(), 'vialattea:90'),
	('sg4-les-gondrans', 'SG4* LES GONDRANS', 'chairlift', 'Les Gondrans', 2400,
	    '{"winter": {"opens": "09:00", "closes": "16:45"}}',
	    44.9316, 6.7249, 1900, 44.9236, 6.7349, 2450, 18, now(), 'vialattea:105'),
	('tc6-le-chalvet', 'TC6* LE CHALVET', 'gondola', 'Le Chalvet', 2000,
	    '{"winter": {"opens": "08:45", "closes": "16:45"}, "summer": {"opens": "09:30", "closes": "17:30"}}',
	    44.9336, 6.7249, 1860, 44.9216, 6.7209, 2400, 19, now(), 'vialattea:83'),
	('tp-la-butte', 'TP LA BUTTE', 'magic_carpet', 'Front de neige', 800,
	    '{"winter": {"opens": "09:00", "closes": "16:45"}}',
	    44.9356, 6.7249, 1850, 44.9326, 6.7269, 1950, 20, now(), 'vialattea:91'),
	('tx-les-chalmettes', 'TX* LES CHALMETTES', 'gondola', 'Front de neige', 1500,
	    '{"winter": {"opens": "08:45", "closes": "16:45"}, "summer": {"opens": "09:30", "closes": "17:30"}}',
	    44.9276, 6.7279, 1850, 44.9246, 6.7299, 1950, 21, now(), 'vialattea:99'),
	('tx-serre-thibaud', 'TX* SERRE THIBAUD', 'gondola', 'Front de neige', 1500,
	    '{"winter": {"opens": "08:45", "closes": "16:45"}, "summer": {"opens": "09:30", "closes": "17:30"}}',
	    44.9296, 6.7279, 1850, 44.9266, 6.7299, 1950, 22, now(), 'vialattea:87')
ON CONFLICT (id) DO NOTHING;

INSERT INTO mountain.slopes (id, name, difficulty, sector, length_m,
    snowmaking, position, status_at) VALUES
	('le-chalvet', 'Le Chalvet', 'red', 'Le Chalvet', 2800, true, 1, now()),
	('observatoire', 'L''Observatoire', 'black', 'Le Chalvet', 1900, false, 2, now()),
	('le-tremplin', 'Le Tremplin', 'blue', 'Le Chalvet', 1600, true, 3, now()),
	('les-gondrans', 'Les Gondrans', 'blue', 'Les Gondrans', 3100, true, 4, now()),
	('la-crete', 'La Crête', 'black', 'Les Gondrans', 1400, false, 5, now()),
	('rocher-de-l-aigle', 'Le Rocher de l''Aigle', 'red', 'Les Gondrans', 2200, false, 6, now()),
	('le-brousset', 'Le Brousset', 'blue', 'Le Brousset', 2500, true, 7, now()),
	('prarial', 'Prarial', 'red', 'Le Brousset', 2100, false, 8, now()),
	('la-durance', 'La Durance', 'green', 'Front de neige', 900, true, 9, now()),
	('la-butte', 'La Butte', 'green', 'Front de neige', 300, true, 10, now()),
	('chemin-des-chalmettes', 'Chemin des Chalmettes', 'itinerary', 'Front de neige', 3500, false, 11, now())
ON CONFLICT (id) DO NOTHING;

INSERT INTO mountain.slope_lifts (slope_id, lift_id) VALUES
	('le-chalvet', 'tc6-le-chalvet'), ('le-chalvet', 'sg2-le-chalvet-sup'),
	('observatoire', 'sg4-observatoire'), ('le-tremplin', 'sg4-le-tremplin'),
	('les-gondrans', 'sg4-les-gondrans'), ('la-crete', 'sg4-la-crete'),
	('rocher-de-l-aigle', 'sg4-le-rocher-de-l-aigle'),
	('le-brousset', 'sg4-le-brousset'), ('prarial', 'sg4-prarial'),
	('la-durance', 'sc-la-durance'), ('la-butte', 'tp-la-butte'),
	('chemin-des-chalmettes', 'tx-les-chalmettes')
ON CONFLICT DO NOTHING;

INSERT INTO mountain.seasons (code, starts_on, ends_on) VALUES
	('2025-2026', '2025-12-06', '2026-04-12'),
	('2026-2027', '2026-12-05', '2027-04-11')
ON CONFLICT (code) DO NOTHING;

-- Bands (src/mountain/pass.c): infant under 6, child 6 to 12, adult 13
-- to 64, senior 65 and over, by age on the first day of validity.
INSERT INTO mountain.pass_products (code, season, kind, days, title_fr,
    title_en, title_it, position) VALUES
	('day_2026', '2026-2027', 'day', 1, 'Journée', 'Day', 'Giornaliero', 1),
	('half_day_2026', '2026-2027', 'half_day', 1, 'Demi-journée (dès 12 h 30)',
	    'Half day (from 12.30pm)', 'Mezza giornata (dalle 12.30)', 2),
	('six_days_2026', '2026-2027', 'multi_day', 6, '6 jours', '6 days',
	    '6 giorni', 3),
	('season_2026', '2026-2027', 'season', 128, 'Saison 2026-2027',
	    'Season 2026-2027', 'Stagione 2026-2027', 4),
	('pedestrian_2026', '2026-2027', 'pedestrian', 1, 'Piéton journée',
	    'Pedestrian day', 'Pedone giornaliero', 5),
	('season_2025', '2025-2026', 'season', 128, 'Saison 2025-2026',
	    'Season 2025-2026', 'Stagione 2025-2026', 6)
ON CONFLICT (code) DO NOTHING;

INSERT INTO mountain.pass_prices (product, profile, band, cents) VALUES
	('day_2026', 'standard', 'infant', 0),
	('day_2026', 'standard', 'child', 3950),
	('day_2026', 'standard', 'adult', 4950),
	('day_2026', 'standard', 'senior', 4450),
	('day_2026', 'resident', 'child', 2000),
	('day_2026', 'resident', 'adult', 2500),
	('day_2026', 'resident', 'senior', 2200),
	('half_day_2026', 'standard', 'infant', 0),
	('half_day_2026', 'standard', 'child', 3100),
	('half_day_2026', 'standard', 'adult', 3900),
	('half_day_2026', 'standard', 'senior', 3500),
	('six_days_2026', 'standard', 'infant', 0),
	('six_days_2026', 'standard', 'child', 20900),
	('six_days_2026', 'standard', 'adult', 26100),
	('six_days_2026', 'standard', 'senior', 23500),
	('season_2026', 'standard', 'infant', 0),
	('season_2026', 'standard', 'child', 52000),
	('season_2026', 'standard', 'adult', 65000),
	('season_2026', 'standard', 'senior', 58500),
	('season_2026', 'resident', 'child', 18000),
	('season_2026', 'resident', 'adult', 26000),
	('season_2026', 'resident', 'senior', 23000),
	('season_2026', 'seasonal_worker', 'adult', 32500),
	('season_2026', 'seasonal_worker', 'senior', 32500),
	('season_2026', 'secondary_resident', 'child', 41600),
	('season_2026', 'secondary_resident', 'adult', 52000),
	('season_2026', 'secondary_resident', 'senior', 46800),
	('pedestrian_2026', 'standard', 'infant', 0),
	('pedestrian_2026', 'standard', 'child', 1200),
	('pedestrian_2026', 'standard', 'adult', 1500),
	('pedestrian_2026', 'standard', 'senior', 1500),
	('season_2025', 'standard', 'infant', 0),
	('season_2025', 'standard', 'child', 50000),
	('season_2025', 'standard', 'adult', 62500),
	('season_2025', 'standard', 'senior', 56000),
	('season_2025', 'resident', 'child', 17500),
	('season_2025', 'resident', 'adult', 25000),
	('season_2025', 'resident', 'senior', 22500)
ON CONFLICT DO NOTHING;

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
