//! Azure resource ids as links between resources.
//!
//! An Azure companion often names its resource by a literal id rather than a
//! reference: a private endpoint's `private_connection_resource_id =
//! "/subscriptions/S/resourceGroups/RG/providers/Microsoft.KeyVault/vaults/kv"`
//! connects the `azurerm_key_vault` whose `name` is `kv`. Such an id links
//! to the resource of the id's provider type and name (compared without
//! case, as Azure compares them), in the id's resource group when both are
//! known. The id of a child (`…/storageAccounts/acct/queueServices/default`)
//! links to its parent.
//!
//! An id built around parts not known before apply (`format`, a template)
//! links for sure when its known parts name the resource, is no link when
//! they name another, and may be a link (unknown) when the deciding part is
//! the unknown one. A part not known stands for text inside one segment of
//! the id, except at its start, where it may be any prefix (`"${parent.id}
//! /providers/…"`), so there the id can only link, never rule a link out.

use crate::model::Resource;
use crate::value::{Piece, Value};

/// The ARM resource type (`namespace/type`) of the ids of an `azurerm_`
/// resource type, for the types a companion names by id.
const ARM_TYPES: &[(&str, &str)] = &[
    (
        "azurerm_app_configuration",
        "Microsoft.AppConfiguration/configurationStores",
    ),
    ("azurerm_app_service", "Microsoft.Web/sites"),
    ("azurerm_batch_account", "Microsoft.Batch/batchAccounts"),
    (
        "azurerm_cognitive_account",
        "Microsoft.CognitiveServices/accounts",
    ),
    (
        "azurerm_container_registry",
        "Microsoft.ContainerRegistry/registries",
    ),
    (
        "azurerm_cosmosdb_account",
        "Microsoft.DocumentDB/databaseAccounts",
    ),
    ("azurerm_data_factory", "Microsoft.DataFactory/factories"),
    (
        "azurerm_eventhub_namespace",
        "Microsoft.EventHub/namespaces",
    ),
    ("azurerm_function_app", "Microsoft.Web/sites"),
    ("azurerm_key_vault", "Microsoft.KeyVault/vaults"),
    (
        "azurerm_key_vault_managed_hardware_security_module",
        "Microsoft.KeyVault/managedHSMs",
    ),
    (
        "azurerm_kubernetes_cluster",
        "Microsoft.ContainerService/managedClusters",
    ),
    ("azurerm_linux_function_app", "Microsoft.Web/sites"),
    (
        "azurerm_linux_virtual_machine",
        "Microsoft.Compute/virtualMachines",
    ),
    ("azurerm_linux_web_app", "Microsoft.Web/sites"),
    (
        "azurerm_log_analytics_workspace",
        "Microsoft.OperationalInsights/workspaces",
    ),
    ("azurerm_managed_disk", "Microsoft.Compute/disks"),
    ("azurerm_mariadb_server", "Microsoft.DBforMariaDB/servers"),
    ("azurerm_mssql_server", "Microsoft.Sql/servers"),
    (
        "azurerm_mysql_flexible_server",
        "Microsoft.DBforMySQL/flexibleServers",
    ),
    ("azurerm_mysql_server", "Microsoft.DBforMySQL/servers"),
    (
        "azurerm_network_interface",
        "Microsoft.Network/networkInterfaces",
    ),
    (
        "azurerm_network_security_group",
        "Microsoft.Network/networkSecurityGroups",
    ),
    (
        "azurerm_postgresql_flexible_server",
        "Microsoft.DBforPostgreSQL/flexibleServers",
    ),
    (
        "azurerm_postgresql_server",
        "Microsoft.DBforPostgreSQL/servers",
    ),
    ("azurerm_public_ip", "Microsoft.Network/publicIPAddresses"),
    ("azurerm_redis_cache", "Microsoft.Cache/redis"),
    ("azurerm_search_service", "Microsoft.Search/searchServices"),
    (
        "azurerm_servicebus_namespace",
        "Microsoft.ServiceBus/namespaces",
    ),
    ("azurerm_sql_server", "Microsoft.Sql/servers"),
    (
        "azurerm_storage_account",
        "Microsoft.Storage/storageAccounts",
    ),
    ("azurerm_synapse_workspace", "Microsoft.Synapse/workspaces"),
    (
        "azurerm_virtual_machine",
        "Microsoft.Compute/virtualMachines",
    ),
    (
        "azurerm_virtual_network",
        "Microsoft.Network/virtualNetworks",
    ),
    ("azurerm_windows_function_app", "Microsoft.Web/sites"),
    (
        "azurerm_windows_virtual_machine",
        "Microsoft.Compute/virtualMachines",
    ),
    ("azurerm_windows_web_app", "Microsoft.Web/sites"),
];

/// What an id says about the resource it names. Every text is lowercased;
/// `None` where a part not known before apply falls.
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceId {
    /// `namespace/type` of the resource named (the first after `providers`).
    pub kind: Option<String>,
    pub name: Option<String>,
    pub resource_group: Option<String>,
    /// False when the id starts with a part not known: what it names may
    /// then be the child of something unknown, so a mismatch decides nothing.
    pub anchored: bool,
}

/// Whether an id names a resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    Yes,
    No,
    Maybe,
}

/// The resource a focus is, as its id would name it.
#[derive(Debug)]
pub struct Target {
    pub kind: String,
    pub name: Option<String>,
    pub resource_group: Option<String>,
}

impl Target {
    /// The focus as an id names it, when its type is one ids name;
    /// `referenced_name` reads a name behind a reference
    /// (`resource_group_name = azurerm_resource_group.main.name`).
    pub fn of(
        resource: &Resource,
        referenced_name: impl Fn(&Value) -> Option<String>,
    ) -> Option<Target> {
        let kind = ARM_TYPES
            .iter()
            .find(|(t, _)| *t == resource.resource_type)?
            .1
            .to_ascii_lowercase();
        let text = |key: &str| match &resource.body.get(key)?.value {
            Value::String(s) => Some(s.to_lowercase()),
            other => referenced_name(other).map(|s| s.to_lowercase()),
        };
        Some(Target {
            kind,
            name: text("name"),
            resource_group: text("resource_group_name"),
        })
    }
}

impl ResourceId {
    /// The id in a value: a string, or a string with parts not known before
    /// apply; `None` for anything not shaped as an Azure resource id.
    pub fn parse(value: &Value) -> Option<ResourceId> {
        let pieces: Vec<Piece>;
        let pieces = match value {
            Value::String(s) if !s.starts_with('/') => return None,
            Value::String(s) => {
                pieces = vec![Piece::Text(s.clone())];
                &pieces[..]
            }
            other => other.partial_text()?.pieces(),
        };
        let anchored = !matches!(pieces.first(), Some(Piece::Hole(_)));
        let segments = segments(pieces);
        let is = |i: usize, word: &str| {
            segments
                .get(i)
                .and_then(|s| s.as_deref())
                .is_some_and(|s| s == word)
        };
        let (providers, resource_group) = if anchored {
            // `/subscriptions/S[/resourceGroups/RG]/providers/…`
            if !(segments.first() == Some(&Some(String::new())) && is(1, "subscriptions")) {
                return None;
            }
            if is(3, "resourcegroups") {
                (5, segments.get(4)?.clone())
            } else {
                (3, None)
            }
        } else {
            // `${…}/providers/…`: the prefix is not known.
            let providers = segments
                .iter()
                .position(|s| s.as_deref() == Some("providers"))?;
            (providers, None)
        };
        match segments.get(providers) {
            Some(Some(word)) if word == "providers" => {}
            // A part not known where `providers` should be: the shape is not known.
            Some(None) => {
                return Some(ResourceId {
                    kind: None,
                    name: None,
                    resource_group: None,
                    anchored,
                })
            }
            _ => return None,
        }
        let part = |i: usize| segments.get(providers + i);
        let name = part(3)?.clone();
        let kind = match (part(1)?, part(2)?) {
            (Some(namespace), Some(kind)) => Some(format!("{namespace}/{kind}")),
            _ => None,
        };
        Some(ResourceId {
            kind,
            name,
            resource_group: resource_group.filter(|_| anchored),
            anchored,
        })
    }

    pub fn link(&self, target: &Target) -> Link {
        let mismatch = if self.anchored { Link::No } else { Link::Maybe };
        let Some(kind) = &self.kind else {
            return Link::Maybe;
        };
        if *kind != target.kind {
            return mismatch;
        }
        let (Some(name), Some(target_name)) = (&self.name, &target.name) else {
            return Link::Maybe;
        };
        if name != target_name {
            return mismatch;
        }
        match (&self.resource_group, &target.resource_group) {
            (Some(a), Some(b)) if a != b => mismatch,
            _ => Link::Yes,
        }
    }
}

/// The `/`-separated segments of an id, lowercased; `None` for a segment
/// holding a part not known.
fn segments(pieces: &[Piece]) -> Vec<Option<String>> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut hole = false;
    for piece in pieces {
        match piece {
            Piece::Hole(_) => hole = true,
            Piece::Text(text) => {
                let mut parts = text.split('/');
                current.push_str(parts.next().unwrap_or_default());
                for part in parts {
                    out.push((!hole).then(|| current.to_lowercase()));
                    current = part.to_string();
                    hole = false;
                }
            }
        }
    }
    out.push((!hole).then(|| current.to_lowercase()));
    out
}

/// The referrers of one relation that hold ids, arranged so that each focus
/// is a lookup by its name.
#[derive(Debug, Default)]
pub struct ResourceIds {
    /// Anchored ids with a known kind and name, by name.
    by_name: std::collections::HashMap<String, Vec<(usize, ResourceId)>>,
    /// The same referrers by kind: those a focus whose name is not known may be.
    by_kind: std::collections::HashMap<String, Vec<usize>>,
    /// Every other id: each focus weighs them all, as it does unknown links.
    open: Vec<(usize, ResourceId)>,
}

impl ResourceIds {
    pub fn insert(&mut self, referrer: usize, id: ResourceId) {
        match (&id.kind, &id.name) {
            (Some(kind), Some(name)) if id.anchored => {
                self.by_kind.entry(kind.clone()).or_default().push(referrer);
                self.by_name
                    .entry(name.clone())
                    .or_default()
                    .push((referrer, id));
            }
            _ => self.open.push((referrer, id)),
        }
    }

    /// The referrers whose id names `target` for sure, and those whose id may.
    pub fn links(&self, target: &Target) -> (Vec<usize>, Vec<usize>) {
        let (mut yes, mut maybe) = (Vec::new(), Vec::new());
        let named = match &target.name {
            Some(name) => self.by_name.get(name).into_iter().flatten().collect(),
            None => {
                maybe.extend(self.by_kind.get(&target.kind).into_iter().flatten());
                Vec::new()
            }
        };
        for (referrer, id) in named.into_iter().chain(&self.open) {
            match id.link(target) {
                Link::Yes => yes.push(*referrer),
                Link::Maybe => maybe.push(*referrer),
                Link::No => {}
            }
        }
        (yes, maybe)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Option<ResourceId> {
        ResourceId::parse(&Value::String(text.into()))
    }

    #[test]
    fn only_azure_resource_ids_parse_and_children_name_their_parent() {
        let child = parse(
            "/subscriptions/0/resourceGroups/RG/providers/Microsoft.Storage/storageAccounts/Acct/queueServices/default",
        );
        assert_eq!(
            child,
            Some(ResourceId {
                kind: Some("microsoft.storage/storageaccounts".into()),
                name: Some("acct".into()),
                resource_group: Some("rg".into()),
                anchored: true,
            })
        );
        for not_an_id in [
            "/subscriptions/0",
            "/subscriptions/0/resourceGroups/rg",
            "/subscriptions/0/resourceGroups/rg/providers/Microsoft.KeyVault/vaults",
            "/var/log/messages",
            "arn:aws:s3:::bucket",
            "kv-app",
        ] {
            assert_eq!(parse(not_an_id), None, "{not_an_id}");
        }
    }
}
