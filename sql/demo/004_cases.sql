-- Demo: the cases module's part of the demo town.
--
-- How to reach each department of a Montgenèvre-like town, as the
-- acknowledgements of receipt say it (R112-5 2° CRPA) and where the
-- notices of its cases go.  Functional addresses of the demo domain.
-- Idempotent: guichetctl demo may run any number of times.
INSERT INTO cases.department_contacts (department, address, phone, email,
    hours_fr, hours_en, hours_it) VALUES
	('mairie', '1 route d''Italie, 05100 Montgenèvre',
	    '+33492215252', 'mairie@demo.guichet.test',
	    'du lundi au vendredi, 9 h - 12 h et 14 h - 17 h',
	    'Monday to Friday, 9am-12pm and 2pm-5pm',
	    'dal lunedì al venerdì, 9-12 e 14-17'),
	('services_techniques', '3 chemin du Col, 05100 Montgenèvre',
	    '+33492215260',
	    'services-techniques@demo.guichet.test',
	    'du lundi au vendredi, 8 h - 12 h',
	    'Monday to Friday, 8am-12pm', 'dal lunedì al venerdì, 8-12'),
	('remontees_mecaniques', 'Front de neige, 05100 Montgenèvre',
	    '+33492215270',
	    'remontees@demo.guichet.test',
	    'tous les jours en saison, 8 h 30 - 17 h',
	    'every day in season, 8.30am-5pm',
	    'tutti i giorni in stagione, 8.30-17'),
	('office_tourisme', 'Route d''Italie, 05100 Montgenèvre',
	    '+33492215022',
	    'office-tourisme@demo.guichet.test',
	    'tous les jours, 9 h - 18 h', 'every day, 9am-6pm',
	    'tutti i giorni, 9-18'),
	('police_municipale', '1 route d''Italie, 05100 Montgenèvre',
	    '+33492215280',
	    'police@demo.guichet.test',
	    'du lundi au samedi, 8 h - 18 h', 'Monday to Saturday, 8am-6pm',
	    'dal lunedì al sabato, 8-18')
ON CONFLICT (department) DO UPDATE SET address = EXCLUDED.address,
	phone = EXCLUDED.phone, email = EXCLUDED.email,
	hours_fr = EXCLUDED.hours_fr, hours_en = EXCLUDED.hours_en,
	hours_it = EXCLUDED.hours_it;

-- The register of the demo town: démarches are processed under the
-- purpose "service" (a public task), whose categories gain case_file;
-- what people are told changed, so it is a new version.  Once only.
UPDATE privacy.purposes SET categories = categories || ARRAY['case_file'],
    version = version + 1
WHERE code = 'service' AND NOT ('case_file' = ANY (categories));
