-- Demo town: a Montgenèvre-like ski resort on the Italian border.
-- Idempotent: guichetctl demo may run any number of times.
INSERT INTO ops.town (insee_code, name, postcode, timezone, languages,
    reference_prefix, latitude, longitude, email, phone, website)
VALUES ('05085', 'Montgenèvre', '05100', 'Europe/Paris',
    ARRAY['fr', 'en', 'it'], 'MGV', 44.9316, 6.7219,
    'mairie@demo.guichet.test', '+33 4 92 00 00 00',
    'https://demo.guichet.test')
ON CONFLICT (id) DO UPDATE SET
    insee_code = EXCLUDED.insee_code, name = EXCLUDED.name,
    postcode = EXCLUDED.postcode, timezone = EXCLUDED.timezone,
    languages = EXCLUDED.languages,
    reference_prefix = EXCLUDED.reference_prefix,
    latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude,
    email = EXCLUDED.email, phone = EXCLUDED.phone,
    website = EXCLUDED.website;
