# home-manager's `lib.hm` on top of a nixpkgs lib: the DAG helpers of `home.activation`
# and a few other names configurations use.
{ lib }:
let
  entry = after: before: data: { inherit data after before; };
in
lib
// {
  hm = {
    dag = {
      entryAnywhere = entry [ ] [ ];
      entryAfter = after: entry after [ ];
      entryBefore = before: entry [ ] before;
      entryBetween = before: after: entry after before;
    };
    types.dagOf = lib.types.attrsOf;
    gvariant = {
      mkTuple = items: { _gvariant = "tuple"; inherit items; };
      mkUint32 = v: v;
      mkInt32 = v: v;
      mkDouble = v: v;
      mkString = v: v;
      mkArray = items: items;
      mkEmptyArray = _: [ ];
    };
    booleans.yesNo = v: if v then "yes" else "no";
  };
}
