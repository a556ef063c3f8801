package normalize

import (
	"fmt"
	"maps"
	"strings"

	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/plan"
	"github.com/grafsync/grafsync/internal/resource"
)

// secretsPath is where a datasource doc holds secret fingerprints.
const secretsPath = "secureJsonData"

// unknownFingerprint stands for a secret Grafana has but grafsync never
// fingerprinted (set by hand, or by another tool): it never equals a real
// fingerprint, so the secret is written once and known from then on.
const unknownFingerprint = "unknown"

// DatasourceFields are the datasource settings grafsync compares and writes.
type DatasourceFields struct {
	Name, Type, Access, URL, User, Database, BasicAuthUser string
	BasicAuth, WithCredentials, IsDefault                  bool
	JSONData                                               map[string]any
}

// Datasource is the one normaliser for datasources, desired or live: access
// defaults to "proxy", jsonData to {} without grafsync's marker (kept apart
// as "grafsync"), and secrets appear only as fingerprints by key.
func Datasource(f DatasourceFields, fingerprints map[string]string) map[string]any {
	access := f.Access
	if access == "" {
		access = "proxy"
	}
	jd := map[string]any{}
	maps.Copy(jd, f.JSONData)
	mark, _ := jd[MarkerKey].(map[string]any)
	delete(jd, MarkerKey)
	own := map[string]any{}
	if isManaged(mark) {
		own["managed"] = true
	}
	secrets := map[string]any{}
	for k, v := range fingerprints {
		secrets[k] = v
	}
	return map[string]any{
		"name": f.Name, "type": f.Type, "access": access, "url": f.URL, "user": f.User, "database": f.Database,
		"basicAuth": f.BasicAuth, "basicAuthUser": f.BasicAuthUser, "withCredentials": f.WithCredentials,
		"isDefault": f.IsDefault, "jsonData": jd, MarkerKey: own, secretsPath: secrets,
	}
}

// DesiredDatasources are an org's datasources from Git. Datasources without
// a uid are identified by name, taking the uid of the live datasource of that
// name when there is one. A secret that is unset here (no environment in a
// pull request's CI) is taken to be unchanged.
func DesiredDatasources(org *resource.Org, orgID int64, live []grafana.Datasource, fp *Fingerprinter) []plan.Resource {
	byUID, byName := indexLive(live)
	desiredName := map[string]string{} // by uid, for names freed by a rename
	for _, d := range org.Datasources {
		if d.UID != "" {
			desiredName[d.UID] = d.Name
		}
	}
	out := make([]plan.Resource, 0, len(org.Datasources))
	for _, d := range org.Datasources {
		id, l := datasourceID(d, byUID, byName)
		unwritable := ""
		// Names are unique in an org (§6.3, §6.4): a name held by another
		// datasource that Git does not rename makes Grafana refuse (409).
		if holder := byName[d.Name]; holder != nil && holder.UID != id {
			if n, renamed := desiredName[holder.UID]; !renamed || n == d.Name {
				unwritable = fmt.Sprintf("its name is taken in Grafana by datasource uid %s, which grafsync does not rename; rename one of them, or give this datasource uid %s in Git so grafsync takes that one over", holder.UID, holder.UID)
			}
		}
		// An update ignores an empty url (§6.4): it can never be cleared, and
		// the update would be sent again on every run.
		if l != nil && l.URL != "" && d.URL == "" {
			unwritable = "Grafana's API cannot clear a datasource's url (an empty url is ignored); set a url in Git, or delete the datasource in Grafana so grafsync creates it again"
		}
		var liveFP map[string]string
		if l != nil {
			liveFP = storedFingerprints(*l)
		}
		fps := map[string]string{}
		for key, s := range d.Secure {
			switch {
			case !s.IsUnset() && s.Reveal() != "":
				fps[key] = fp.Fingerprint(saltID(d), key, s.Reveal())
			case s.IsUnset() && liveFP[key] != "":
				fps[key] = liveFP[key]
			}
		}
		fields := DatasourceFields{
			Name: d.Name, Type: d.Type, Access: d.Access, URL: d.URL, User: d.User, Database: d.Database,
			BasicAuthUser: d.BasicAuthUser, BasicAuth: d.BasicAuth, WithCredentials: d.WithCredentials, IsDefault: d.IsDefault,
			JSONData: d.JSONData,
		}
		doc := Datasource(fields, fps)
		doc[MarkerKey] = marker()
		out = append(out, plan.Resource{
			Kind: plan.Datasource, OrgID: orgID, ID: id, Name: d.Name, Doc: doc, Source: d.Source.String(),
			Secrets: []string{secretsPath}, Marker: MarkerKey, Unwritable: unwritable,
		})
	}
	return out
}

// datasourceID is a desired datasource's identity: its uid, or for one
// without a uid, as Grafana's provisioning does, the uid of the live
// datasource with its name (it is updated, keeping its uid) or, when there
// is none, the uid Grafana's provisioning creates it with
// (resource.UIDFromName). It also returns that live datasource, if any.
func datasourceID(d *resource.Datasource, byUID, byName map[string]*grafana.Datasource) (string, *grafana.Datasource) {
	if d.UID != "" {
		return d.UID, byUID[d.UID]
	}
	if l := byName[d.Name]; l != nil {
		return l.UID, l
	}
	uid := d.ProvisionedUID()
	return uid, byUID[uid]
}

// saltID is the identity a desired datasource's secrets are fingerprinted
// under: its uid, or "name:"+name without one. Unlike datasourceID it does
// not depend on Grafana, so a datasource without a uid keeps the same
// fingerprints once Grafana has generated its uid.
func saltID(d *resource.Datasource) string {
	if d.UID != "" {
		return d.UID
	}
	return "name:" + d.Name
}

// indexLive indexes live datasources by uid and by name.
func indexLive(live []grafana.Datasource) (byUID, byName map[string]*grafana.Datasource) {
	byUID, byName = map[string]*grafana.Datasource{}, map[string]*grafana.Datasource{}
	for i := range live {
		byUID[live[i].UID] = &live[i]
		byName[live[i].Name] = &live[i]
	}
	return byUID, byName
}

// DatasourceSecrets maps each desired datasource's identity (as in
// DesiredDatasources) to its secrets, for apply to send.
func DatasourceSecrets(org *resource.Org, live []grafana.Datasource) map[string]map[string]resource.Secret {
	byUID, byName := indexLive(live)
	out := map[string]map[string]resource.Secret{}
	for _, d := range org.Datasources {
		id, _ := datasourceID(d, byUID, byName)
		out[id] = d.Secure
	}
	return out
}

// DatasourceTombstones are the org's deleteDatasources entries (Grafana's
// provisioning format) that name a live datasource: explicit deletions,
// paired with it by uid. An entry naming nothing live is already done.
func DatasourceTombstones(org *resource.Org, orgID int64, live []grafana.Datasource) []plan.Resource {
	_, byName := indexLive(live)
	var out []plan.Resource
	for _, ref := range org.DeleteDatasources {
		if l := byName[ref.Name]; l != nil {
			out = append(out, plan.Resource{
				Kind: plan.Datasource, OrgID: orgID, ID: l.UID, Name: ref.Name, Source: ref.Source.String(), Tombstone: true,
			})
		}
	}
	return out
}

// LiveDatasources are datasources as Grafana has them.
func LiveDatasources(ds []grafana.Datasource, orgID int64) []plan.Resource {
	out := make([]plan.Resource, 0, len(ds))
	for _, d := range ds {
		doc := Datasource(DatasourceFields{
			Name: d.Name, Type: d.Type, Access: d.Access, URL: d.URL, User: d.User, Database: d.Database,
			BasicAuthUser: d.BasicAuthUser, BasicAuth: d.BasicAuth, WithCredentials: d.WithCredentials, IsDefault: d.IsDefault,
			JSONData: d.JSONData,
		}, storedFingerprints(d))
		out = append(out, plan.Resource{
			Kind: plan.Datasource, OrgID: orgID, ID: d.UID, Name: d.Name, Doc: doc, Version: d.Version,
			Managed: isManaged(d.JSONData[MarkerKey]), ReadOnly: d.ReadOnly, Secrets: []string{secretsPath},
		})
	}
	return out
}

// storedFingerprints are the fingerprints grafsync stored for the secrets
// Grafana reports as set; a set secret without one is unknownFingerprint.
func storedFingerprints(d grafana.Datasource) map[string]string {
	mark, _ := d.JSONData[MarkerKey].(map[string]any)
	stored, _ := mark["secrets"].(map[string]any)
	out := make(map[string]string, len(d.SecureJSONFields))
	for _, key := range d.SecureJSONFields {
		s, _ := stored[key].(string)
		if !strings.HasPrefix(s, fingerprintPrefix) {
			s = unknownFingerprint
		}
		out[key] = s
	}
	return out
}

// JSONDataToWrite is the jsonData apply sends: the desired jsonData plus
// grafsync's marker with the fingerprints of the secrets it sets.
func JSONDataToWrite(jsonData map[string]any, fingerprints map[string]any) map[string]any {
	out := map[string]any{}
	maps.Copy(out, jsonData)
	m := marker()
	if len(fingerprints) > 0 {
		m["secrets"] = fingerprints
	}
	out[MarkerKey] = m
	return out
}
