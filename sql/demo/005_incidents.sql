-- Demo: the incidents module's part of the demo town: its area and the
-- categories of reports (Open311 services), which fit a mountain town and
-- a seaside town alike.  Idempotent: guichetctl demo may run any number of
-- times.
INSERT INTO incidents.area (id, area) VALUES (true, ST_MakeEnvelope(
    6.68, 44.90, 6.77, 44.96, 4326))
ON CONFLICT (id) DO UPDATE SET area = EXCLUDED.area;

INSERT INTO incidents.categories (code, department, name_fr, name_en,
    name_it, attributes, resolution_days, anonymous_allowed, position)
VALUES
	('pothole', 'services_techniques', 'Nid-de-poule', 'Pothole',
	    'Buca stradale', '[{"code": "size", "datatype": "singlevaluelist",
	    "required": false, "description": {"fr": "Taille", "en": "Size",
	    "it": "Dimensione"}, "values": [{"key": "small", "name": {"fr":
	    "petit", "en": "small", "it": "piccola"}}, {"key": "large",
	    "name": {"fr": "grand", "en": "large", "it": "grande"}}]}]',
	    14, true, 10),
	('street_lighting', 'services_techniques', 'Éclairage public',
	    'Street lighting', 'Illuminazione pubblica', '[{"code": "pole",
	    "datatype": "string", "required": false, "description": {"fr":
	    "Numéro du candélabre", "en": "Pole number", "it": "Numero del lampione"}}]', 7, true, 20),
	('litter', 'services_techniques', 'Déchets et poubelles pleines',
	    'Litter and overflowing bins', 'Rifiuti e cassonetti pieni', '[]',
	    3, true, 30),
	('snow_ice', 'services_techniques', 'Neige et verglas',
	    'Snow clearing and ice', 'Neve e ghiaccio', '[{"code": "depth_cm",
	    "datatype": "number", "required": false, "description": {"fr":
	    "Hauteur de neige (cm)", "en": "Snow depth (cm)", "it": "Altezza della neve (cm)"}}]', 1, true, 40),
	('signage', 'services_techniques', 'Signalisation', 'Signage',
	    'Segnaletica', '[]', 14, true, 50),
	('water_leak', 'services_techniques', 'Fuite d''eau', 'Water leak',
	    'Perdita d''acqua', '[{"code": "since", "datatype": "datetime",
	    "required": false, "description": {"fr": "Depuis quand", "en":
	    "Since when", "it": "Da quando"}}]', 2, true, 60),
	('abandoned_vehicle', 'police_municipale', 'Véhicule abandonné',
	    'Abandoned vehicle', 'Veicolo abbandonato', '[]', 30, false, 70),
	('noise', 'police_municipale', 'Bruit', 'Noise', 'Rumore',
	    '[{"code": "when", "datatype": "multivaluelist", "required": true,
	    "description": {"fr": "Moments", "en": "When", "it": "Quando"},
	    "values": [{"key": "day", "name": {"fr": "jour", "en": "day",
	    "it": "giorno"}}, {"key": "night", "name": {"fr": "nuit", "en":
	    "night", "it": "notte"}}]}]', 7, false, 80),
	('street_furniture', 'services_techniques', 'Mobilier urbain dégradé',
	    'Damaged street furniture', 'Arredo urbano danneggiato', '[]', 21,
	    true, 90),
	('lift_ski_area', 'remontees_mecaniques',
	    'Remontée mécanique ou domaine skiable',
	    'Lift or ski-area problem', 'Impianto di risalita o area sciabile',
	    '[{"code": "details", "datatype": "text", "required": false,
	    "description": {"fr": "Remontée, piste", "en": "Lift, slope",
	    "it": "Impianto, pista"}}]', 2, true, 100),
	('beach_seafront', 'mairie', 'Plage et front de mer',
	    'Beach and seafront', 'Spiaggia e lungomare', '[]', 7, true, 110)
ON CONFLICT (code) DO UPDATE SET department = EXCLUDED.department,
    name_fr = EXCLUDED.name_fr, name_en = EXCLUDED.name_en,
    name_it = EXCLUDED.name_it, attributes = EXCLUDED.attributes,
    resolution_days = EXCLUDED.resolution_days,
    anonymous_allowed = EXCLUDED.anonymous_allowed,
    position = EXCLUDED.position;

-- The register of the demo town: reports are processed under the purpose
-- "service" (a public task: "handling your requests and reports"), whose
-- categories gain incident_report; a new version.  Once only.
UPDATE privacy.purposes SET categories = categories ||
    ARRAY['incident_report'], version = version + 1
WHERE code = 'service' AND NOT ('incident_report' = ANY (categories));
