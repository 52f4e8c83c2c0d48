-- Demo: a few reports on the public map of the demo town, so that a first
-- `tools/dev up` shows the map, the board and Open311 with something in
-- them: every state of the lifecycle, in the village, with their history
-- (which Open311's servicerequestupdates lists).  They are anonymous (no
-- reporter, no contact): the demo accounts are made after sql/demo runs.
-- Their times are relative to the first load.  Idempotent: fixed ids,
-- inserted once.
WITH r (id, category, description, lon, lat, address, status, age_h,
    changed_h, note, close_reason, duplicate_of) AS (VALUES
	('0d5e0000-0000-4000-8000-000000000001'::uuid, 'pothole',
	    'Nid-de-poule profond devant la boulangerie, route d''Italie.',
	    6.72190, 44.93160, NULL, 'open', 5, NULL::int, NULL, NULL, NULL::uuid),
	('0d5e0000-0000-4000-8000-000000000002', 'street_lighting',
	    'Le lampadaire au bout du chemin des Chalmettes ne s''allume plus.',
	    6.71540, 44.93420, NULL, 'acknowledged', 30, 20,
	    'Signalement pris en compte, passage prévu cette semaine.', NULL, NULL),
	('0d5e0000-0000-4000-8000-000000000003', 'snow_ice',
	    'Trottoir verglacé entre l''office de tourisme et l''arrêt de la navette.',
	    6.72510, 44.93150, NULL, 'in_progress', 10, 2,
	    'Saleuse en route.', NULL, NULL),
	('0d5e0000-0000-4000-8000-000000000004', 'litter',
	    'Conteneurs pleins au parking du Prarial, sacs posés à côté.',
	    6.71880, 44.93020, NULL, 'resolved', 72, 48,
	    'Conteneurs vidés, collecte supplémentaire le samedi pendant les vacances.',
	    NULL, NULL),
	('0d5e0000-0000-4000-8000-000000000005', 'signage',
	    'Panneau « Col de Montgenèvre » couché par le chasse-neige.',
	    6.72930, 44.93280, NULL, 'open', 2, NULL, NULL, NULL, NULL),
	('0d5e0000-0000-4000-8000-000000000006', 'street_furniture',
	    'Banc cassé sur la place de l''église.',
	    6.72330, 44.93250, NULL, 'closed', 50, 40,
	    'Même signalement que le banc de la place de l''église déjà ouvert.',
	    'duplicate', '0d5e0000-0000-4000-8000-000000000007'),
	('0d5e0000-0000-4000-8000-000000000007', 'street_furniture',
	    'Banc de la place de l''église : une latte arrachée, dangereux.',
	    6.72335, 44.93255, NULL, 'in_progress', 80, 24,
	    'Latte commandée, remplacement prévu.', NULL, NULL),
	('0d5e0000-0000-4000-8000-000000000008', 'lift_ski_area',
	    'Filet de protection arraché en bas de la piste des Gondrans.',
	    6.72050, 44.92980, NULL, 'acknowledged', 20, 18,
	    'Transmis au service des pistes.', NULL, NULL),
	('0d5e0000-0000-4000-8000-000000000009', 'abandoned_vehicle',
	    'Voiture sans plaque stationnée depuis trois semaines.',
	    6.71320, 44.93550, NULL, 'closed', 200, 150,
	    'Terrain privé : le propriétaire a été informé.',
	    'not_responsible', NULL),
	('0d5e0000-0000-4000-8000-00000000000a', 'water_leak',
	    'Fuite d''eau sur la chaussée, l''eau gèle la nuit.', NULL, NULL,
	    'Route de Briançon, Montgenèvre', 'open', 1, NULL, NULL, NULL, NULL)
), c AS (
	SELECT r.*, cat.department, cat.resolution_days,
	    now() - make_interval(hours => r.age_h) AS created,
	    now() - make_interval(hours => coalesce(r.changed_h, r.age_h)) AS changed
	FROM r JOIN incidents.categories cat ON cat.code = r.category
), ins AS (
	INSERT INTO incidents.reports (id, category, department, description,
	    position, address, status, close_reason, duplicate_of, status_note,
	    created_at, updated_at, expected_at, finished_at)
	SELECT id, category, department, description,
	    CASE WHEN lon IS NOT NULL THEN
	        ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography END,
	    address, status, close_reason, duplicate_of, note, created, changed,
	    created + make_interval(days => resolution_days),
	    CASE WHEN status IN ('resolved', 'closed') THEN changed END
	FROM c
	-- the original first, for the duplicate's reference
	ORDER BY duplicate_of NULLS FIRST
	ON CONFLICT (id) DO NOTHING
	RETURNING id
)
INSERT INTO incidents.history (report_id, at, from_status, to_status, note)
SELECT c.id, h.at, h.from_status, h.to_status, h.note
FROM c JOIN ins ON ins.id = c.id
CROSS JOIN LATERAL (VALUES
	(c.created, NULL::text, 'open', NULL::text),
	(c.changed, 'open', c.status, c.note)) AS h (at, from_status, to_status, note)
WHERE h.from_status IS NULL OR c.status <> 'open';
