// Whether anything is known of the node of that label with uid $uid: the node, or a change record
// about it (its own, or of a relationship at one end of which it was).
RETURN EXISTS { MATCH (:{{label}} {uid: $uid}) }
    OR EXISTS { MATCH (c:InventoryChange {uid: $uid}) WHERE c.label = $label }
    OR EXISTS { MATCH (c:InventoryChange {target_uid: $uid}) WHERE c.target_label = $label }
    AS known
