-- 036: a shuttle alert posted, changed or removed is an event of the live
-- stream (src/http/live.h, GET /api/v1/live), as the lifts', the slopes'
-- and the snow report's changes are (migration 025): event "alert", sent
-- at commit to every guichetd.
--
-- The event is sent when the alert changes, not when one of its active
-- periods starts or ends: its data carries the periods, and a screen
-- decides from them what to show when (README, "Live stream").
--
-- The data: {"id", "action": "posted" | "changed" | "removed", "cause",
-- "effect", "active_periods", "route_ids", "stop_ids", "header": {"fr",
-- "en", "it"}, "url", "updated_at"}; a removal says only the id, the
-- action and the routes and stops it was on.  The descriptions (up to
-- 4000 characters in each language) are not in it: a notification must
-- stay under PostgreSQL's 8000 bytes.  Data that would not fit even so
-- (hundreds of routes or periods) is cut to {"id", "action", "cause",
-- "effect", "truncated": true}: the screen fetches
-- GET /api/v1/shuttles/alerts.
CREATE FUNCTION shuttles.live_alert() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
	a	shuttles.alerts;
	data	jsonb;
BEGIN
	IF TG_OP = 'DELETE' THEN
		a := OLD;
		data := jsonb_build_object('id', a.id, 'action', 'removed',
		    'route_ids', to_jsonb(a.route_ids), 'stop_ids',
		    to_jsonb(a.stop_ids));
	ELSE
		a := NEW;
		data := jsonb_build_object('id', a.id, 'action',
		    CASE TG_OP WHEN 'INSERT' THEN 'posted' ELSE 'changed' END,
		    'cause', a.cause, 'effect', a.effect, 'active_periods',
		    a.periods, 'route_ids', to_jsonb(a.route_ids), 'stop_ids',
		    to_jsonb(a.stop_ids), 'header', jsonb_build_object('fr',
		    a.header_fr, 'en', a.header_en, 'it', a.header_it), 'url',
		    a.url, 'updated_at', to_char(a.updated_at AT TIME ZONE 'UTC',
		    'YYYY-MM-DD"T"HH24:MI:SS"Z"'));
	END IF;
	-- The notification wraps it with an id and the event's name.
	IF octet_length(data::text) > 7000 THEN
		data := jsonb_build_object('id', a.id, 'action',
		    data->>'action', 'cause', a.cause, 'effect', a.effect,
		    'truncated', true);
	END IF;
	PERFORM ops.live_publish('alert', data);
	RETURN NULL;
END;
$$;
COMMENT ON FUNCTION shuttles.live_alert() IS 'sends the event alert of the live stream when a shuttle alert is posted, changed or removed';
CREATE TRIGGER alerts_live AFTER INSERT OR UPDATE OR DELETE
	ON shuttles.alerts FOR EACH ROW EXECUTE FUNCTION shuttles.live_alert();
