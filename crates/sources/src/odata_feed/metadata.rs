//! The parts of an OData v4 `$metadata` document (CSDL XML) a generic sync needs: the entity
//! sets of the entity container, and for each its entity type's key and properties (with
//! their `Edm` types), base types included.
//!
//! Parsed with `quick-xml` events rather than a DOM: the workspace already builds it (for
//! spreadsheets), and CSDL documents of large services (SAP, Dynamics) run to megabytes, of
//! which only `EntityType`, `Key`/`PropertyRef`, `Property` and `EntitySet` matter. Element
//! names are matched by local name, so the `edm`/`edmx` prefixes a service chooses do not
//! matter; types are matched by namespace- or alias-qualified name.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    pub name: String,
    /// `Edm.DateTimeOffset`, `Edm.Int32`, … (or a complex/enum type's qualified name).
    pub ty: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct EntityType {
    namespace: String,
    alias: Option<String>,
    name: String,
    base: Option<String>,
    key: Vec<String>,
    properties: Vec<Property>,
}

/// An entity set with its type resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntitySet {
    pub name: String,
    /// Key property names (paths with `/` for keys inside complex properties), in order.
    pub key: Vec<String>,
    pub properties: Vec<Property>,
}

impl EntitySet {
    pub fn property(&self, name: &str) -> Option<&Property> {
        self.properties.iter().find(|p| p.name == name).or_else(|| self.properties.iter().find(|p| p.name.eq_ignore_ascii_case(name)))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    types: Vec<EntityType>,
    /// (set name, qualified entity type name), in document order.
    set_types: Vec<(String, String)>,
}

fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&")
}

fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes().flatten().find(|a| a.key.local_name().as_ref() == name).map(|a| unescape(&a.value))
}

impl Metadata {
    /// Reads a CSDL document; the error says what is wrong with it, for people.
    pub fn parse(xml: &str) -> Result<Metadata, String> {
        let mut reader = Reader::from_str(xml);
        let mut md = Metadata::default();
        let mut schema: Option<(String, Option<String>)> = None;
        let mut current: Option<EntityType> = None;
        let mut in_key = false;
        let mut saw_edmx = false;
        loop {
            let event = reader.read_event().map_err(|e| format!("the XML could not be read at byte {}: {e}", reader.buffer_position()))?;
            let (e, is_start) = match &event {
                Event::Start(e) => (e, true),
                Event::Empty(e) => (e, false),
                Event::End(end) => {
                    match end.local_name().as_ref() {
                        "EntityType" => {
                            if let Some(t) = current.take() {
                                md.types.push(t);
                            }
                        }
                        "Key" => in_key = false,
                        "Schema" => schema = None,
                        _ => {}
                    }
                    continue;
                }
                Event::Eof => break,
                _ => continue,
            };
            match e.local_name().as_ref() {
                "Edmx" | "DataServices" => saw_edmx = true,
                "Schema" => {
                    schema = Some((attr(e, "Namespace").unwrap_or_default(), attr(e, "Alias")));
                }
                "EntityType" => {
                    let (namespace, alias) = schema.clone().unwrap_or_default();
                    let t = EntityType {
                        namespace,
                        alias,
                        name: attr(e, "Name").unwrap_or_default(),
                        base: attr(e, "BaseType"),
                        key: Vec::new(),
                        properties: Vec::new(),
                    };
                    if is_start {
                        current = Some(t);
                    } else {
                        md.types.push(t);
                    }
                }
                "Key" if current.is_some() => in_key = is_start,
                "PropertyRef" if in_key => {
                    if let (Some(t), Some(name)) = (current.as_mut(), attr(e, "Name")) {
                        t.key.push(name);
                    }
                }
                "Property" => {
                    if let (Some(t), Some(name)) = (current.as_mut(), attr(e, "Name")) {
                        t.properties.push(Property { name, ty: attr(e, "Type").unwrap_or_default() });
                    }
                }
                "EntitySet" => {
                    if let (Some(name), Some(ty)) = (attr(e, "Name"), attr(e, "EntityType")) {
                        md.set_types.push((name, ty));
                    }
                }
                _ => {}
            }
        }
        if !saw_edmx {
            return Err("it is not an OData metadata document (no edmx:Edmx element)".into());
        }
        Ok(md)
    }

    fn entity_type(&self, qualified: &str) -> Option<&EntityType> {
        let (prefix, name) = qualified.rsplit_once('.')?;
        self.types.iter().find(|t| t.name == name && (t.namespace == prefix || t.alias.as_deref() == Some(prefix)))
    }

    /// Every entity set of the container, with key and properties from its type and base
    /// types (the key of the nearest type that declares one).
    pub fn entity_sets(&self) -> Vec<EntitySet> {
        self.set_types
            .iter()
            .map(|(name, ty)| {
                let mut chain = Vec::new();
                let mut t = self.entity_type(ty);
                while let Some(x) = t {
                    if chain.len() > 32 {
                        break;
                    }
                    chain.push(x);
                    t = x.base.as_deref().and_then(|b| self.entity_type(b));
                }
                let key = chain.iter().find(|t| !t.key.is_empty()).map(|t| t.key.clone()).unwrap_or_default();
                let properties = chain.iter().rev().flat_map(|t| t.properties.iter().cloned()).collect();
                EntitySet { name: name.clone(), key, properties }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSDL: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">
 <edmx:DataServices>
  <Schema Namespace="Shop.Model" Alias="Self" xmlns="http://docs.oasis-open.org/odata/ns/edm">
   <EntityType Name="Base" Abstract="true">
    <Key><PropertyRef Name="Id"/></Key>
    <Property Name="Id" Type="Edm.Int64" Nullable="false"/>
    <Property Name="ModifiedAt" Type="Edm.DateTimeOffset"/>
   </EntityType>
   <EntityType Name="Customer" BaseType="Self.Base">
    <Property Name="Name" Type="Edm.String"><Annotation Term="Core.Description" String="a &amp; b"/></Property>
   </EntityType>
   <EntityType Name="OrderLine">
    <Key><PropertyRef Name="OrderId"/><PropertyRef Name="LineNo"/></Key>
    <Property Name="OrderId" Type="Edm.Int32" Nullable="false"/>
    <Property Name="LineNo" Type="Edm.Int32" Nullable="false"/>
    <NavigationProperty Name="Order" Type="Shop.Model.Order"/>
   </EntityType>
   <ComplexType Name="Address"><Property Name="City" Type="Edm.String"/></ComplexType>
   <EntityContainer Name="Container">
    <EntitySet Name="Customers" EntityType="Shop.Model.Customer"/>
    <EntitySet Name="OrderLines" EntityType="Self.OrderLine"><NavigationPropertyBinding Path="Order" Target="Orders"/></EntitySet>
    <Singleton Name="Me" Type="Shop.Model.Customer"/>
   </EntityContainer>
  </Schema>
 </edmx:DataServices>
</edmx:Edmx>"#;

    #[test]
    fn reads_sets_keys_and_inherited_properties() {
        let md = Metadata::parse(CSDL).unwrap();
        let sets = md.entity_sets();
        assert_eq!(sets.len(), 2, "singletons are not entity sets");
        assert_eq!(sets[0].name, "Customers");
        assert_eq!(sets[0].key, vec!["Id"]);
        let names: Vec<&str> = sets[0].properties.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, vec!["Id", "ModifiedAt", "Name"], "base type first; complex type properties are not the entity's");
        assert_eq!(sets[0].property("modifiedat").unwrap().ty, "Edm.DateTimeOffset");
        assert_eq!(sets[1].key, vec!["OrderId", "LineNo"]);
        assert!(Metadata::parse("<html><body>login</body></html>").is_err());
        assert!(Metadata::parse("<edmx:Edmx><oops").is_err());
    }
}
