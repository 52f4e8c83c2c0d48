-- bench/cases.sql: realistic cases :from to :n for the benchmark, in one
-- pass of generate_series (psql -v from=1 -v n=1000000 -v owners=20000
-- -f bench/cases.sql; bench/cases.sh tops a set up from where it is).
--
-- :owners people (bench-case-N@bench.guichet.test, the demo resident's
-- password) file cases under the demo town's nine procedures, received
-- over the three years before now, in the states a town's archive holds:
-- mostly closed, a tenth open in each of submitted and in_review, some
-- awaiting information, decided, withdrawn, a few drafts.  Their answers
-- draw from lists of names, first names, streets and reasons (French and
-- Italian, accents included), with a plate per case, so that a search
-- finds what an agent would look for.  References BEN-YYYY-NNNNNNN (a
-- prefix of their own: the town's MGV counters are left alone).  No
-- history, mail or acknowledgement: the lists and the search do not read
-- them.  Runs as the database's owner (like bench/export.sh's inserts).
\set ON_ERROR_STOP on

INSERT INTO identity.accounts (email, email_key, email_verified_at,
    password_hash, display_name, locale, profile_kind, status,
    token_version, created_at, updated_at)
SELECT 'bench-case-' || g || '@bench.guichet.test',
    'bench-case-' || g || '@bench.guichet.test', now(), r.password_hash,
    'Bench ' || g, 'fr', 'permanent_resident', 'active', 0, now(), now()
FROM generate_series(1, :owners) g,
    (SELECT password_hash FROM identity.accounts
     WHERE email = 'resident@demo.guichet.test') r
ON CONFLICT DO NOTHING;

CREATE TEMP TABLE bench_owners AS
    SELECT row_number() OVER (ORDER BY id) - 1 AS n, id
    FROM identity.accounts WHERE email LIKE 'bench-case-%';

CREATE TEMP TABLE bench_procs (n int, code text, dep text, days int,
    implicit text);
INSERT INTO bench_procs VALUES
    (0, 'stationnement_resident', 'police_municipale', 60, 'acceptance'),
    (1, 'stationnement_saisonnier', 'police_municipale', 60, 'rejection'),
    (2, 'logement_saisonnier', 'mairie', 60, 'rejection'),
    (3, 'terrasse', 'mairie', 60, 'rejection'),
    (4, 'manifestation', 'mairie', 60, 'rejection'),
    (5, 'encombrants', 'services_techniques', 60, 'rejection'),
    (6, 'acte_etat_civil', 'mairie', 10, 'none'),
    (7, 'forfait_resident', 'remontees_mecaniques', 60, 'rejection'),
    (8, 'forfait_saisonnier', 'remontees_mecaniques', 60, 'rejection');

INSERT INTO cases.cases (reference, owner_id, procedure, procedure_version,
    department, profile_kind, status, answers, created_at, updated_at,
    expires_at, received_at, deadline_days, implicit, paused_days,
    paused_since, due_at, decided_at, decision, decided_implicitly,
    closes_at, closed_at, retention_years, legal_basis)
SELECT
    CASE WHEN x.st = 'draft' THEN NULL
        ELSE 'BEN-' || extract(year FROM x.recv)::int || '-' ||
        lpad(x.g::text, 7, '0') END,
    o.id, p.code, 1, p.dep, 'permanent_resident', x.st,
    jsonb_build_object(
        'nom', (ARRAY['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert',
            'Richard', 'Petit', 'Durand', 'Leroy', 'Moreau', 'Simon',
            'Laurent', 'Lefèvre', 'Michel', 'Garcia', 'David', 'Bertrand',
            'Roux', 'Vincent', 'Fournier', 'Morel', 'Girard', 'André',
            'Mercier', 'Dupont', 'Lambert', 'Bonnet', 'François',
            'Legrand', 'Garnier', 'Faure', 'Rousseau', 'Blanc', 'Guérin',
            'Muller', 'Henry', 'Perrin', 'Morin', 'Mathieu', 'Clément',
            'Gauthier', 'Fontaine', 'Chevalier', 'Rossi', 'Russo',
            'Ferrari', 'Esposito', 'Bianchi', 'Colombo', 'Ricci'])
            [1 + (x.h % 50)],
        'prenoms', (ARRAY['Camille', 'Léa', 'Manon', 'Chloé', 'Inès',
            'Louise', 'Jade', 'Zoé', 'Lucas', 'Hugo', 'Louis', 'Gabriel',
            'Jules', 'Arthur', 'Théo', 'Raphaël', 'Noé', 'Émile',
            'Océane', 'Mathis', 'Giulia', 'Francesca', 'Chiara', 'Marco',
            'Luca', 'Matteo', 'Alessandro', 'Sofia', 'Élodie', 'Jérôme',
            'Hélène', 'Cédric', 'Gaëlle', 'Noël', 'Anaïs', 'Loïc', 'Maël',
            'Célia', 'Rémi', 'Agnès'])[1 + ((x.h / 50) % 40)],
        'adresse', jsonb_build_object('numero', 1 + (x.h % 97),
            'nom_voie', (ARRAY['Route d''Italie', 'Chemin du Col',
            'Rue de l''Église', 'Place du Bourg', 'Allée des Mélèzes',
            'Chemin des Alberts', 'Rue du Chalvet', 'Route de Briançon',
            'Chemin de la Vachette', 'Impasse des Gentianes',
            'Rue des Écrins', 'Chemin du Janus', 'Place de la Mairie',
            'Rue du Gondran', 'Chemin des Sources', 'Allée des Edelweiss',
            'Route du Col de l''Échelle', 'Rue des Chamois',
            'Chemin de l''Aiguille', 'Rue du Prarial'])
            [1 + ((x.h / 2000) % 20)],
            'code_postal', '05100', 'nom_commune', 'Montgenèvre',
            'code_insee', '05085'),
        'motif', (ARRAY['Élagage des arbres devant la maison',
            'Terrasse du café pour la saison d''hiver',
            'Stationnement près du front de neige',
            'Ramassage d''un canapé et d''un matelas',
            'Déneigement du chemin d''accès', 'Fête du village en août',
            'Logement pour la saison chez l''employeur',
            'Forfait de ski pour la famille', 'Copie d''acte de naissance',
            'Marché de Noël sur la place', 'Éclairage public en panne',
            'Réfrigérateur et cuisinière à enlever',
            'Concert de fin de saison', 'Place de parking aux Alberts',
            'Travaux de toiture et échafaudage',
            'Course de ski de fond nocturne'])[1 + ((x.h / 7) % 16)],
        'immatriculation', chr(65 + x.h % 26) || chr(65 + (x.h / 26) % 26)
            || '-' || lpad(((x.h / 676) % 1000)::text, 3, '0') || '-' ||
            chr(65 + (x.h / 9) % 26) || chr(65 + (x.h / 234) % 26),
        'telephone', '+336' || lpad((x.h % 100000000)::text, 8, '0')),
    x.recv - interval '1 hour', x.recv + interval '2 days',
    CASE WHEN x.st = 'draft' THEN x.recv + interval '30 days' END,
    CASE WHEN x.st <> 'draft' THEN x.recv END,
    CASE WHEN x.st <> 'draft' THEN p.days END,
    CASE WHEN x.st <> 'draft' THEN p.implicit END,
    0,
    CASE WHEN x.st = 'awaiting_information' THEN x.recv + interval '1 day'
        END,
    CASE WHEN x.st NOT IN ('draft', 'awaiting_information')
        THEN cases.due(x.recv, p.days) END,
    CASE WHEN x.st IN ('accepted', 'rejected', 'closed')
        THEN x.recv + interval '20 days' END,
    CASE WHEN x.st IN ('accepted', 'rejected') THEN x.st
        WHEN x.st = 'closed' THEN
        (ARRAY['accepted', 'rejected'])[1 + x.h % 2] END,
    false,
    CASE WHEN x.st IN ('accepted', 'rejected', 'closed')
        THEN cases.appeal_end(x.recv + interval '20 days') END,
    CASE WHEN x.st = 'closed'
        THEN cases.appeal_end(x.recv + interval '20 days')
        WHEN x.st = 'withdrawn' THEN x.recv + interval '5 days' END,
    5, 'bench'
FROM (
    SELECT g, h, recv,
        CASE WHEN recv > now() - interval '60 days' THEN
            (ARRAY['submitted', 'submitted', 'in_review', 'in_review',
            'in_review', 'awaiting_information', 'accepted', 'rejected',
            'withdrawn', 'draft'])[1 + h % 10]
        WHEN recv > now() - interval '150 days' THEN
            (ARRAY['accepted', 'rejected', 'accepted', 'withdrawn',
            'in_review'])[1 + h % 5]
        ELSE (ARRAY['closed', 'closed', 'closed', 'closed', 'closed',
            'closed', 'closed', 'closed', 'closed', 'withdrawn'])
            [1 + h % 10] END AS st
    FROM (SELECT g, (hashint4(g) & 2147483647) AS h,
        now() - interval '3 years' * ((hashint4(g * 7) & 2147483647) /
        2147483647.0) AS recv
        FROM generate_series(:from, :n) g) s
    ) x
JOIN bench_procs p ON p.n = x.h % 9
JOIN bench_owners o ON o.n = (x.h / 9) % (SELECT count(*) FROM bench_owners);

ANALYZE cases.cases;
