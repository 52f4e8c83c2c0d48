-- Demo register of processing activities of a Montgenèvre-like town:
-- its recipients and purposes.  Idempotent: an existing purpose is left
-- as it is (the DPO may have moved it to a later version since).
INSERT INTO privacy.recipients (code, kind, name_fr, name_en, name_it) VALUES
	('town_services', 'internal',
	    'Services de la commune habilités à traiter la démarche',
	    'The town''s services in charge of the request',
	    'Servizi del comune incaricati della pratica'),
	('lift_operator', 'third_party',
	    'Exploitant des remontées mécaniques de la station',
	    'The resort''s ski-lift operator',
	    'Gestore degli impianti di risalita della stazione')
ON CONFLICT (code) DO UPDATE SET kind = EXCLUDED.kind,
	name_fr = EXCLUDED.name_fr, name_en = EXCLUDED.name_en,
	name_it = EXCLUDED.name_it;

INSERT INTO privacy.purposes (code, legal_basis, title_fr, title_en, title_it,
    description_fr, description_en, description_it, categories, recipients,
    retention_fr, retention_en, retention_it, version) VALUES
	('service', 'public_task',
	    'Compte et démarches en ligne',
	    'Account and online requests',
	    'Account e pratiche online',
	    'Créer et gérer votre compte, vous authentifier, instruire vos '
	    'démarches et signalements, et garder la preuve de vos choix de '
	    'consentement.',
	    'Creating and managing your account, signing you in, handling your '
	    'requests and reports, and keeping the proof of your consent '
	    'choices.',
	    'Creare e gestire il tuo account, autenticarti, istruire le tue '
	    'pratiche e segnalazioni e conservare la prova delle tue scelte di '
	    'consenso.',
	    ARRAY['identity', 'contact', 'address', 'profile', 'credential',
		'network', 'consent', 'attachment'],
	    ARRAY['town_services'],
	    '3 ans après la dernière activité du compte ; les dossiers suivent '
	    'les instructions d''archivage des communes.',
	    '3 years after the account''s last activity; case files follow the '
	    'archiving instructions for communes.',
	    '3 anni dopo l''ultima attività dell''account; le pratiche seguono '
	    'le istruzioni di archiviazione dei comuni.',
	    1),
	('case_notifications', 'public_task',
	    'Notifications sur vos démarches',
	    'Notifications about your requests',
	    'Notifiche sulle tue pratiche',
	    'Vous écrire quand une démarche avance : accusé de réception, '
	    'demande de pièce, décision.',
	    'Writing to you when a request moves on: acknowledgement, request '
	    'for a document, decision.',
	    'Scriverti quando una pratica avanza: ricevuta, richiesta di un '
	    'documento, decisione.',
	    ARRAY['identity', 'contact', 'free_text'],
	    ARRAY['town_services'],
	    'Les messages sont effacés 3 mois après leur envoi.',
	    'Messages are erased 3 months after they are sent.',
	    'I messaggi sono cancellati 3 mesi dopo l''invio.',
	    1),
	('newsletter', 'consent',
	    'Lettre d''information de la commune',
	    'The town''s newsletter',
	    'Notiziario del comune',
	    'Recevoir par courriel les nouvelles de la commune : travaux, '
	    'événements, ouverture de la saison.',
	    'Receiving the town''s news by email: works, events, the opening of '
	    'the season.',
	    'Ricevere via email le notizie del comune: lavori, eventi, apertura '
	    'della stagione.',
	    ARRAY['identity', 'contact'],
	    ARRAY['town_services'],
	    'Jusqu''au retrait de votre consentement.',
	    'Until you withdraw your consent.',
	    'Fino alla revoca del consenso.',
	    1),
	('visitor_statistics', 'consent',
	    'Statistiques de fréquentation',
	    'Visitor statistics',
	    'Statistiche sulle presenze',
	    'Utiliser votre profil, vos dates de séjour et votre commune de '
	    'résidence pour établir des statistiques anonymes de fréquentation '
	    'de la station.',
	    'Using your profile, your stay dates and your home municipality to '
	    'produce anonymous visitor statistics for the resort.',
	    'Usare il tuo profilo, le date del soggiorno e il comune di '
	    'residenza per produrre statistiche anonime sulle presenze nella '
	    'stazione.',
	    ARRAY['profile', 'address'],
	    ARRAY['town_services'],
	    'Les données sont agrégées chaque mois ; seules les statistiques '
	    'anonymes sont conservées.',
	    'The data is aggregated every month; only the anonymous statistics '
	    'are kept.',
	    'I dati sono aggregati ogni mese; si conservano solo le statistiche '
	    'anonime.',
	    1),
	('lift_pass_sharing', 'consent',
	    'Partage avec l''exploitant des remontées mécaniques',
	    'Sharing with the ski-lift operator',
	    'Condivisione con il gestore degli impianti',
	    'Transmettre votre nom, votre adresse électronique et vos dates de '
	    'séjour ou de contrat à l''exploitant des remontées mécaniques pour '
	    'préparer vos forfaits.',
	    'Passing your name, your email address and your stay or contract '
	    'dates to the ski-lift operator to prepare your lift passes.',
	    'Trasmettere il tuo nome, la tua email e le date del soggiorno o del '
	    'contratto al gestore degli impianti per preparare i tuoi skipass.',
	    ARRAY['identity', 'contact', 'profile'],
	    ARRAY['lift_operator'],
	    'Le temps de la saison ; l''exploitant conserve ensuite les données '
	    'selon sa propre politique, qu''il vous communique.',
	    'For the season; the operator then keeps the data under its own '
	    'policy, which it gives you.',
	    'Per la durata della stagione; il gestore conserva poi i dati '
	    'secondo la propria politica, che ti comunica.',
	    1),
	('data_protection_rights', 'legal_obligation',
	    'Exercice de vos droits et traçabilité des consultations',
	    'Exercising your rights and tracing who read your data',
	    'Esercizio dei tuoi diritti e tracciamento delle consultazioni',
	    'Suivre vos demandes d''accès, de rectification, d''effacement, de '
	    'limitation et d''opposition dans les délais légaux, et tenir le '
	    'journal des consultations de vos données par les agents, le '
	    'délégué à la protection des données et les applications '
	    'partenaires, que vous pouvez consulter.',
	    'Handling your requests for access, rectification, erasure, '
	    'restriction and objection within the legal time limits, and '
	    'keeping the log of the reads of your data by agents, the data '
	    'protection officer and partner applications, which you can see.',
	    'Gestire le tue richieste di accesso, rettifica, cancellazione, '
	    'limitazione e opposizione nei termini di legge, e tenere il '
	    'registro delle consultazioni dei tuoi dati da parte degli agenti, '
	    'del responsabile della protezione dei dati e delle applicazioni '
	    'partner, che puoi consultare.',
	    ARRAY['identity', 'contact', 'rights_request', 'access_trace',
		'free_text'],
	    ARRAY['town_services'],
	    'Les demandes et leurs réponses : 5 ans ; le journal des '
	    'consultations : 1 an.',
	    'Requests and their answers: 5 years; the log of reads: 1 year.',
	    'Le richieste e le loro risposte: 5 anni; il registro delle '
	    'consultazioni: 1 anno.',
	    1)
ON CONFLICT (code) DO NOTHING;
