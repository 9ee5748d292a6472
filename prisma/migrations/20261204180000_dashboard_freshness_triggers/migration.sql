-- Dashboard snapshot freshness, enforced where the data changes (issue 18).
--
-- A feature dashboard (lib/db/features.ts getFeatureDashboard, as a viewer sees it) shows:
-- the SAE's name, architecture, size and status, its hook's and model's names; the Feature row;
-- its FeatureExample rows with Token texts; FeatureNeighbor rows (with the other SAE's name and
-- architecture); Explanation rows; and rating counts of CLOSED studies (Study, StudyItem,
-- Assignment, Rating). Every write to one of these, by any writer (the recording's COPY, Prisma,
-- raw SQL, psql), forgets the dashboards it changes: the SAE's "dashboardEpoch" is bumped, so a
-- render that raced the write is dropped by saveSnapshot, and the snapshots are deleted, so the
-- proxy stops serving them and the warmer renders them again. Both happen inside the writer's
-- transaction. Tables written in bulk (a recording's COPY) use statement-level triggers over
-- transition tables, one forget per statement; tables written a row at a time use row-level
-- triggers with one indexed lookup (measured: about 0.1 ms per rating write).

-- Forgets every dashboard of these SAEs. Rows are locked in id order so that two writers
-- forgetting overlapping sets in one call each cannot deadlock on the epoch bump.
CREATE FUNCTION featurelab_forget_saes(sae_ids text[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF sae_ids IS NULL OR cardinality(sae_ids) = 0 THEN RETURN; END IF;
  PERFORM 1 FROM "Sae" WHERE id = ANY (sae_ids) ORDER BY id FOR UPDATE;
  UPDATE "Sae" SET "dashboardEpoch" = "dashboardEpoch" + 1 WHERE id = ANY (sae_ids);
  DELETE FROM "DashboardSnapshot" WHERE "saeId" = ANY (sae_ids);
END $$;

-- Forgets the dashboards of single features (sae_ids[k], feature_indices[k]); their SAEs' epochs are bumped.
CREATE FUNCTION featurelab_forget_features(sae_ids text[], feature_indices int[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF sae_ids IS NULL OR cardinality(sae_ids) = 0 THEN RETURN; END IF;
  PERFORM 1 FROM "Sae" WHERE id = ANY (sae_ids) ORDER BY id FOR UPDATE;
  UPDATE "Sae" SET "dashboardEpoch" = "dashboardEpoch" + 1 WHERE id = ANY (sae_ids);
  DELETE FROM "DashboardSnapshot" d USING unnest(sae_ids, feature_indices) AS f("saeId", "featureIndex")
   WHERE d."saeId" = f."saeId" AND d."featureIndex" = f."featureIndex";
END $$;

-- The rows a statement changed, as SQL over its transition tables (new_rows, old_rows), for EXECUTE
-- inside a statement-level trigger: only the key columns, once each.
CREATE FUNCTION featurelab_changed_rows(op text, columns text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE op
    WHEN 'INSERT' THEN format('SELECT DISTINCT %s FROM new_rows', columns)
    WHEN 'DELETE' THEN format('SELECT DISTINCT %s FROM old_rows', columns)
    ELSE format('SELECT %s FROM old_rows UNION SELECT %s FROM new_rows', columns, columns)
  END
$$;

-- Feature, FeatureExample, FeatureNeighbor (keyed by "saeId"): forget the SAEs whose rows changed.
CREATE FUNCTION featurelab_forget_changed_saes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('SELECT featurelab_forget_saes(array_agg("saeId")) FROM (%s) k', featurelab_changed_rows(TG_OP, '"saeId"'));
  RETURN NULL;
END $$;

-- Token (keyed by "modelId"): token texts appear on every dashboard of the model's SAEs.
CREATE FUNCTION featurelab_forget_changed_tokens() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('SELECT featurelab_forget_saes(array_agg(s.id)) FROM "Sae" s JOIN "Hook" h ON h.id = s."hookId" WHERE h."modelId" IN (%s)',
                 featurelab_changed_rows(TG_OP, '"modelId"'));
  RETURN NULL;
END $$;

-- Explanation (written a row at a time, e.g. by autointerp): forget the feature it explains
-- (before and after an update). Row-level: cheaper than a statement trigger for one row.
CREATE FUNCTION featurelab_forget_explained_feature() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- OLD is NULL on INSERT and NEW on DELETE; a NULL key matches no row
  PERFORM featurelab_forget_features(ARRAY[OLD."saeId", NEW."saeId"], ARRAY[OLD."featureIndex", NEW."featureIndex"]);
  RETURN NULL;
END $$;

-- Rating (a row at a time, on the rating page's hot path): only closed studies' ratings are on
-- viewers' dashboards, and ratings are accepted in open studies only, so this forgets nothing
-- today; it keeps any other writer honest for the price of one indexed lookup per rating.
CREATE FUNCTION featurelab_forget_rated_feature() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM featurelab_forget_features(array_agg(i."saeId"), array_agg(i."featureIndex"))
     FROM "Assignment" a JOIN "StudyItem" i ON i.id = a."itemId" JOIN "Study" st ON st.id = i."studyId"
    WHERE st.status = 'CLOSED' AND a.id IN (OLD."assignmentId", NEW."assignmentId");
  RETURN NULL;
END $$;

-- StudyItem: an item added to a closed study adds its counts; an item deleted (a study deleted)
-- takes them away, whatever the study's state (the study row may already be gone in a cascade).
CREATE FUNCTION featurelab_forget_changed_study_items() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('SELECT featurelab_forget_features(array_agg(k."saeId"), array_agg(k."featureIndex"))
                    FROM (%s) k LEFT JOIN "Study" st ON st.id = k."studyId" WHERE $1 = ''DELETE'' OR st.status = ''CLOSED''',
                 featurelab_changed_rows(TG_OP, '"saeId", "featureIndex", "studyId"')) USING TG_OP;
  RETURN NULL;
END $$;

-- Study: a status change (closing publishes its counts) or a rename (closed studies are named on dashboards).
CREATE FUNCTION featurelab_forget_study() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM featurelab_forget_features(array_agg("saeId"), array_agg("featureIndex")) FROM "StudyItem" WHERE "studyId" = NEW.id;
  RETURN NULL;
END $$;

-- An SAE's status (shown on its unrecorded dashboards): that SAE's dashboards.
CREATE FUNCTION featurelab_forget_sae() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM featurelab_forget_saes(ARRAY[NEW.id]);
  RETURN NULL;
END $$;

-- Header fields of an SAE (name, architecture, size, hook), its hook or its model, and deleting an
-- SAE: every dashboard on the hooks concerned (neighbour lists name the other SAEs on the hook).
CREATE FUNCTION featurelab_forget_hook_saes() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  hook_ids text[];
BEGIN
  IF TG_TABLE_NAME = 'Sae' THEN
    hook_ids := ARRAY[OLD."hookId"] || CASE WHEN TG_OP = 'UPDATE' THEN ARRAY[NEW."hookId"] ELSE '{}'::text[] END;
  ELSIF TG_TABLE_NAME = 'Hook' THEN
    hook_ids := ARRAY[OLD.id];
  ELSE
    hook_ids := ARRAY(SELECT id FROM "Hook" WHERE "modelId" = OLD.id);
  END IF;
  PERFORM featurelab_forget_saes(ARRAY(SELECT id FROM "Sae" WHERE "hookId" = ANY (hook_ids)));
  RETURN NULL;
END $$;

-- The statement-level triggers: INSERT, UPDATE and DELETE of each bulk table, each with the transition tables it has.
DO $$
DECLARE
  t record;
BEGIN
  FOR t IN SELECT * FROM (VALUES ('Feature', 'featurelab_forget_changed_saes'), ('FeatureExample', 'featurelab_forget_changed_saes'),
                                 ('FeatureNeighbor', 'featurelab_forget_changed_saes'), ('Token', 'featurelab_forget_changed_tokens')) AS v(tab, fn)
  LOOP
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION %I()',
                   t.tab || '_forget_insert', t.tab, t.fn);
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION %I()',
                   t.tab || '_forget_update', t.tab, t.fn);
    EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION %I()',
                   t.tab || '_forget_delete', t.tab, t.fn);
  END LOOP;
END $$;

CREATE TRIGGER "Explanation_forget" AFTER INSERT OR UPDATE OR DELETE ON "Explanation" FOR EACH ROW EXECUTE FUNCTION featurelab_forget_explained_feature();
CREATE TRIGGER "Rating_forget" AFTER INSERT OR UPDATE OR DELETE ON "Rating" FOR EACH ROW EXECUTE FUNCTION featurelab_forget_rated_feature();

CREATE TRIGGER "StudyItem_forget_insert" AFTER INSERT ON "StudyItem" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION featurelab_forget_changed_study_items();
CREATE TRIGGER "StudyItem_forget_delete" AFTER DELETE ON "StudyItem" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION featurelab_forget_changed_study_items();

CREATE TRIGGER "Study_forget_update" AFTER UPDATE OF status, name ON "Study" FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION featurelab_forget_study();

CREATE TRIGGER "Sae_forget_header" AFTER UPDATE OF name, architecture, "dSae", "hookId" ON "Sae" FOR EACH ROW
  WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.architecture IS DISTINCT FROM NEW.architecture
        OR OLD."dSae" IS DISTINCT FROM NEW."dSae" OR OLD."hookId" IS DISTINCT FROM NEW."hookId")
  EXECUTE FUNCTION featurelab_forget_hook_saes();
CREATE TRIGGER "Sae_forget_status" AFTER UPDATE OF status ON "Sae" FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION featurelab_forget_sae();
CREATE TRIGGER "Sae_forget_delete" AFTER DELETE ON "Sae" FOR EACH ROW EXECUTE FUNCTION featurelab_forget_hook_saes();
CREATE TRIGGER "Hook_forget_update" AFTER UPDATE OF name ON "Hook" FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION featurelab_forget_hook_saes();
CREATE TRIGGER "Model_forget_update" AFTER UPDATE OF name ON "Model" FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION featurelab_forget_hook_saes();
