-- Demo departments of a Montgenèvre-like town.
INSERT INTO identity.departments (code, name_fr, name_en, name_it) VALUES
	('mairie', 'Mairie', 'Town hall', 'Municipio'),
	('services_techniques', 'Services techniques', 'Technical services', 'Servizi tecnici'),
	('remontees_mecaniques', 'Remontées mécaniques', 'Ski lifts', 'Impianti di risalita'),
	('office_tourisme', 'Office de tourisme', 'Tourist office', 'Ufficio del turismo'),
	('police_municipale', 'Police municipale', 'Municipal police', 'Polizia municipale')
ON CONFLICT (code) DO UPDATE SET name_fr = EXCLUDED.name_fr,
	name_en = EXCLUDED.name_en, name_it = EXCLUDED.name_it;
