-- 020_procedures: the catalogue of procedures (démarches), the procedures
-- module's own schema (src/procedures/procedures.h).  A procedure is data:
-- its texts in fr, en and it, the department in charge, who may file it,
-- its form, the documents it asks for, its deadline and what silence at
-- the deadline means, the retention of its decided cases and the legal
-- basis of that retention, its service-public.fr theme, and what its
-- acceptance grants.  Every change is a new row of procedures.versions;
-- a version is never changed afterwards, so that a case keeps the
-- version it was filed under.
--
-- The department is a code of identity.departments, which the module
-- checks when a definition is saved (identity exports the table): no
-- foreign key into another module's schema (ARCHITECTURE.md, "Modules").
-- Nothing here is about people: every column is nopii.

CREATE SCHEMA procedures;
COMMENT ON SCHEMA procedures IS 'the catalogue of procedures (démarches): versions of their definitions, service-public.fr themes';

-- The top-level themes of service-public.fr (particuliers), as DILA
-- numbers them (the ids of its "vosdroits" archive); the French titles
-- are DILA's, the English and Italian ones guichet's translations.
CREATE TABLE procedures.themes (
	id		text PRIMARY KEY CHECK (id ~ '^N[0-9]{1,8}$'),
	title_fr	text NOT NULL CHECK (length(title_fr) BETWEEN 1 AND 200),
	title_en	text NOT NULL CHECK (length(title_en) BETWEEN 1 AND 200),
	title_it	text NOT NULL CHECK (length(title_it) BETWEEN 1 AND 200)
);
COMMENT ON TABLE procedures.themes IS 'reference data: the top-level themes of service-public.fr, by which procedures are grouped';
COMMENT ON COLUMN procedures.themes.id IS 'nopii: DILA''s id of the theme (N19810...)';
COMMENT ON COLUMN procedures.themes.title_fr IS 'nopii';
COMMENT ON COLUMN procedures.themes.title_en IS 'nopii';
COMMENT ON COLUMN procedures.themes.title_it IS 'nopii';

INSERT INTO procedures.themes (id, title_fr, title_en, title_it) VALUES
	('N19810', 'Papiers - Citoyenneté - Élections',
	    'Identity papers - Citizenship - Elections',
	    'Documenti - Cittadinanza - Elezioni'),
	('N19805', 'Famille - Scolarité', 'Family - Schooling',
	    'Famiglia - Scuola'),
	('N19811', 'Social - Santé', 'Social welfare - Health',
	    'Sociale - Salute'),
	('N19806', 'Travail - Formation', 'Work - Training',
	    'Lavoro - Formazione'),
	('N19808', 'Logement', 'Housing', 'Alloggio'),
	('N19812', 'Transports - Mobilité', 'Transport - Mobility',
	    'Trasporti - Mobilità'),
	('N19803', 'Argent - Impôts - Consommation',
	    'Money - Taxes - Consumer affairs',
	    'Denaro - Imposte - Consumi'),
	('N19807', 'Justice', 'Justice', 'Giustizia'),
	('N19804', 'Étranger - Europe', 'Abroad - Europe', 'Estero - Europa'),
	('N19809', 'Loisirs - Sports - Culture', 'Leisure - Sports - Culture',
	    'Tempo libero - Sport - Cultura'),
	('N31931', 'Associations, fondations et fonds de dotation',
	    'Associations, foundations and endowment funds',
	    'Associazioni, fondazioni e fondi di dotazione');

-- One row per procedure: whether it can be filed now, and which version
-- is current.
CREATE TABLE procedures.procedures (
	code		text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,46}$'),
	active		boolean NOT NULL DEFAULT true,
	current_version	integer NOT NULL CHECK (current_version > 0),
	created_at	timestamptz NOT NULL,
	updated_at	timestamptz NOT NULL
);
COMMENT ON TABLE procedures.procedures IS 'the procedures of the catalogue: whether each can be filed now (active) and its current version';
COMMENT ON COLUMN procedures.procedures.code IS 'nopii: stable code ([a-z][a-z0-9_]*), in URLs and in cases';
COMMENT ON COLUMN procedures.procedures.active IS 'nopii: false once retired: no new case; the cases filed keep their version';
COMMENT ON COLUMN procedures.procedures.current_version IS 'nopii: the version new cases are filed under';
COMMENT ON COLUMN procedures.procedures.created_at IS 'nopii';
COMMENT ON COLUMN procedures.procedures.updated_at IS 'nopii: last new version or change of active';

-- Every version of every procedure, never updated.
CREATE TABLE procedures.versions (
	code		text NOT NULL REFERENCES procedures.procedures (code),
	version		integer NOT NULL CHECK (version > 0),
	department	text NOT NULL CHECK (department ~ '^[a-z][a-z0-9_]{1,39}$'),
	title_fr	text NOT NULL CHECK (length(title_fr) BETWEEN 1 AND 200),
	title_en	text NOT NULL CHECK (length(title_en) BETWEEN 1 AND 200),
	title_it	text NOT NULL CHECK (length(title_it) BETWEEN 1 AND 200),
	description_fr	text NOT NULL CHECK (length(description_fr) BETWEEN 1 AND 8000),
	description_en	text NOT NULL CHECK (length(description_en) BETWEEN 1 AND 8000),
	description_it	text NOT NULL CHECK (length(description_it) BETWEEN 1 AND 8000),
	profile_kinds	text[] NOT NULL CHECK (cardinality(profile_kinds) >= 1
			    AND profile_kinds <@ ARRAY['permanent_resident',
			    'secondary_resident', 'seasonal_worker', 'tourist']),
	form		jsonb NOT NULL CHECK (jsonb_typeof(form) = 'array'),
	documents	jsonb NOT NULL CHECK (jsonb_typeof(documents) = 'array'),
	deadline_days	integer NOT NULL CHECK (deadline_days BETWEEN 1 AND 3650),
	implicit	text CHECK (implicit IN ('acceptance', 'rejection')),
	retention_years	integer NOT NULL CHECK (retention_years BETWEEN 1 AND 100),
	legal_basis	text NOT NULL CHECK (length(legal_basis) BETWEEN 1 AND 1000),
	theme		text NOT NULL REFERENCES procedures.themes (id),
	grants		jsonb CHECK (grants IS NULL OR jsonb_typeof(grants) = 'object'),
	source		text NOT NULL CHECK (source IN ('api', 'ctl', 'demo')),
	created_at	timestamptz NOT NULL,
	PRIMARY KEY (code, version)
);
COMMENT ON TABLE procedures.versions IS 'every version of every procedure''s definition; a version is never changed (a case keeps the version it was filed under)';
COMMENT ON COLUMN procedures.versions.code IS 'nopii';
COMMENT ON COLUMN procedures.versions.version IS 'nopii: 1, 2, ... per procedure';
COMMENT ON COLUMN procedures.versions.department IS 'nopii: code of identity.departments: the department in charge';
COMMENT ON COLUMN procedures.versions.title_fr IS 'nopii';
COMMENT ON COLUMN procedures.versions.title_en IS 'nopii';
COMMENT ON COLUMN procedures.versions.title_it IS 'nopii';
COMMENT ON COLUMN procedures.versions.description_fr IS 'nopii';
COMMENT ON COLUMN procedures.versions.description_en IS 'nopii';
COMMENT ON COLUMN procedures.versions.description_it IS 'nopii';
COMMENT ON COLUMN procedures.versions.profile_kinds IS 'nopii: the profile kinds of identity.accounts that may file it';
COMMENT ON COLUMN procedures.versions.form IS 'nopii: the form definition, an array of fields (procedures.h), checked when saved';
COMMENT ON COLUMN procedures.versions.documents IS 'nopii: the documents asked for: [{code, label{fr,en,it}, required}]';
COMMENT ON COLUMN procedures.versions.deadline_days IS 'nopii: processing deadline in calendar days';
COMMENT ON COLUMN procedures.versions.implicit IS 'nopii: what silence at the deadline means: acceptance, rejection, or NULL (nothing)';
COMMENT ON COLUMN procedures.versions.retention_years IS 'nopii: how long a decided case is kept';
COMMENT ON COLUMN procedures.versions.legal_basis IS 'nopii: the legal basis of the procedure and of that retention';
COMMENT ON COLUMN procedures.versions.theme IS 'nopii: service-public.fr theme';
COMMENT ON COLUMN procedures.versions.grants IS 'nopii: what an acceptance grants the person ({kind, season}), or NULL';
COMMENT ON COLUMN procedures.versions.source IS 'nopii: how the version was made: the API, guichetctl, the demo';
COMMENT ON COLUMN procedures.versions.created_at IS 'nopii';

-- The current version is one of the procedure's versions (both rows are
-- written in one transaction, the procedure first).
ALTER TABLE procedures.procedures ADD CONSTRAINT procedures_current_fk
	FOREIGN KEY (code, current_version)
	REFERENCES procedures.versions (code, version)
	DEFERRABLE INITIALLY DEFERRED;

CREATE FUNCTION procedures.versions_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'procedures.versions: a version is never changed; '
	    'save a new one' USING ERRCODE = 'check_violation';
END $$;
COMMENT ON FUNCTION procedures.versions_immutable() IS 'refuses UPDATE of procedures.versions: cases refer to the version they were filed under';
CREATE TRIGGER versions_immutable BEFORE UPDATE ON procedures.versions
	FOR EACH ROW EXECUTE FUNCTION procedures.versions_immutable();

-- What the modules above read (the procedures module's 'exports'): one
-- row per version, with what a case needs to be processed.
CREATE VIEW procedures.catalogue AS
	SELECT v.code, v.version, v.version = p.current_version AS current,
	    p.active AND v.version = p.current_version AS active,
	    v.title_fr, v.title_en, v.title_it, v.department,
	    v.profile_kinds, v.deadline_days, v.implicit, v.retention_years,
	    v.legal_basis, v.theme, v.grants, v.created_at
	FROM procedures.versions v
	JOIN procedures.procedures p ON p.code = v.code;
COMMENT ON VIEW procedures.catalogue IS 'the procedures module''s interface to the modules above it: every version of every procedure, with its deadline, implicit decision, retention and grants';
COMMENT ON COLUMN procedures.catalogue.code IS 'nopii';
COMMENT ON COLUMN procedures.catalogue.version IS 'nopii';
COMMENT ON COLUMN procedures.catalogue.current IS 'nopii: the version new cases are filed under';
COMMENT ON COLUMN procedures.catalogue.active IS 'nopii: a new case may be filed under this version now';
COMMENT ON COLUMN procedures.catalogue.title_fr IS 'nopii';
COMMENT ON COLUMN procedures.catalogue.title_en IS 'nopii';
COMMENT ON COLUMN procedures.catalogue.title_it IS 'nopii';
COMMENT ON COLUMN procedures.catalogue.department IS 'nopii';
COMMENT ON COLUMN procedures.catalogue.profile_kinds IS 'nopii';
COMMENT ON COLUMN procedures.catalogue.deadline_days IS 'nopii';
COMMENT ON COLUMN procedures.catalogue.implicit IS 'nopii';
COMMENT ON COLUMN procedures.catalogue.retention_years IS 'nopii';
COMMENT ON COLUMN procedures.catalogue.legal_basis IS 'nopii';
COMMENT ON COLUMN procedures.catalogue.theme IS 'nopii';
COMMENT ON COLUMN procedures.catalogue.grants IS 'nopii';
COMMENT ON COLUMN procedures.catalogue.created_at IS 'nopii';

-- The request threads (migration 014's role): they read everything,
-- add procedures and versions and retire them; themes are reference data.
GRANT USAGE ON SCHEMA procedures TO guichet_app;
GRANT SELECT ON procedures.themes, procedures.procedures, procedures.versions,
    procedures.catalogue TO guichet_app;
GRANT INSERT, UPDATE ON procedures.procedures TO guichet_app;
GRANT INSERT ON procedures.versions TO guichet_app;

-- The catalogue's public answers (GET /api/v1/procedures...) are cached
-- (src/http/cache.h): a change empties them in every guichetd.
CREATE TRIGGER procedures_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON procedures.procedures FOR EACH STATEMENT
	EXECUTE FUNCTION ops.notify_cache('procedures');
CREATE TRIGGER versions_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON procedures.versions FOR EACH STATEMENT
	EXECUTE FUNCTION ops.notify_cache('procedures');
CREATE TRIGGER themes_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON procedures.themes FOR EACH STATEMENT
	EXECUTE FUNCTION ops.notify_cache('procedures');
