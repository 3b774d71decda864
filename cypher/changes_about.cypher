// The change records about the node with uid $uid (list_changes' `c`): its own, and those of
// relationships at either end of which it is, each found through its index; the two
// WHERE parts narrow either side (to one label, for a kind's history).
CALL () {
  MATCH (c:InventoryChange {uid: $uid}) {{own}}
  RETURN c
  UNION
  MATCH (c:InventoryChange {target_uid: $uid}) {{other}}
  RETURN c
}
WITH c
