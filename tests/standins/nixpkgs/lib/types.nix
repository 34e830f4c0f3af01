# Option types for the stand-in module system. Each type has `name` and
# `merge = loc: defs: value`, where defs are raw definitions ({ file; value; }, properties
# still on). Scalars merge when equal; sets, lists, submodules as in nixpkgs.
{ lib }:
let
  m = lib.modules;
  inherit (builtins)
    concatLists
    concatStringsSep
    foldl'
    head
    isAttrs
    isList
    length
    map
    ;

  mkOptionType =
    {
      name,
      description ? name,
      check ? (_: true),
      merge ? null,
      ...
    }@attrs:
    attrs
    // {
      _type = "option-type";
      inherit name description check;
      # A custom merge sees resolved definitions, as in nixpkgs.
      merge = if merge == null then (loc: defs: m.mergeEqual loc (m.resolve loc defs)) else (loc: defs: merge loc (m.resolve loc defs));
      getSubOptions = _: { };
    };

  scalar =
    name:
    mkOptionType { inherit name; }
    // {
      merge = loc: defs: m.mergeEqual loc (m.resolve loc defs);
    };

  unique =
    name:
    scalar name
    // {
      merge =
        loc: defs:
        let
          ds = m.resolve loc defs;
        in
        if ds == [ ] then
          m.noValue loc
        else if length ds == 1 then
          (head ds).value
        else
          throw "homeward stand-in: the option `${m.showLoc loc}` is defined more than once";
    };

  separated =
    name: sep:
    scalar name
    // {
      merge =
        loc: defs:
        let
          ds = m.resolve loc defs;
        in
        if ds == [ ] then m.noValue loc else concatStringsSep sep (map (d: d.value) ds);
    };

  anything = scalar "anything" // {
    merge = m.mergeFree;
  };

  attrsOf =
    elemType:
    scalar "attrsOf"
    // {
      inherit elemType;
      wrap = attrsOf;
      merge =
        loc: defs:
        m.mergeSet loc { } (m.toSets loc defs) (n: ds: elemType.merge (loc ++ [ n ]) ds);
    };

  listOf =
    elemType:
    scalar "listOf"
    // {
      inherit elemType;
      wrap = listOf;
      merge =
        loc: defs:
        let
          ds = m.resolve loc defs;
        in
        if defs == [ ] then
          m.noValue loc
        else
          concatLists (
            map (
              d:
              if isList d.value then
                d.value
              else
                throw "homeward stand-in: the option `${m.showLoc loc}` is a list, but `${toString d.file}` gives it something else"
            ) ds
          );
    };

  submoduleWith =
    {
      modules ? [ ],
      specialArgs ? { },
      ...
    }:
    scalar "submodule"
    // {
      inherit modules specialArgs;
      merge =
        loc: defs:
        (lib.evalModules {
          modules =
            modules
            ++ map (d: {
              _file = d.file;
              imports = [ d.value ];
            }) (m.resolve loc defs);
          specialArgs = specialArgs // {
            name = lib.last loc;
          };
          prefix = loc;
        }).config;
    };

  submodule = module: submoduleWith { modules = lib.toList module; };

  deferredModuleWith =
    _:
    scalar "deferredModule"
    // {
      merge = loc: defs: {
        imports = map (d: {
          _file = d.file;
          imports = [ d.value ];
        }) (m.resolve loc defs);
      };
    };

  either = a: b: anything // { name = "either"; };
  ints = {
    between = _: _: scalar "int";
    positive = scalar "int";
    unsigned = scalar "int";
    u8 = scalar "int";
    u16 = scalar "int";
    u32 = scalar "int";
    s8 = scalar "int";
    s16 = scalar "int";
    s32 = scalar "int";
  };
in
{
  inherit
    mkOptionType
    anything
    attrsOf
    listOf
    submoduleWith
    submodule
    either
    ints
    ;
  bool = scalar "bool";
  boolByOr = scalar "bool" // {
    merge = loc: defs: builtins.any (d: d.value) (m.resolve loc defs);
  };
  str = scalar "str";
  nonEmptyStr = scalar "str";
  singleLineStr = scalar "str";
  strMatching = _: scalar "str";
  passwdEntry = t: t;
  int = scalar "int";
  float = scalar "float";
  number = scalar "number";
  numbers = {
    between = _: _: scalar "number";
    nonnegative = scalar "number";
    positive = scalar "number";
  };
  port = scalar "int";
  path = scalar "path";
  pathInStore = scalar "path";
  externalPath = scalar "path";
  package = scalar "package";
  shellPackage = scalar "package";
  enum = _: scalar "enum";
  nullOr = t: t;
  oneOf = ts: foldl' either (head ts) ts;
  uniq = t: unique t.name;
  unique = { ... }: t: unique t.name;
  raw = unique "raw";
  unspecified = anything // { name = "unspecified"; };
  attrs = scalar "attrs" // {
    merge = loc: defs: foldl' (a: d: a // d.value) { } (m.resolve loc defs);
  };
  lazyAttrsOf = attrsOf;
  loaOf = attrsOf;
  nonEmptyListOf = listOf;
  functionTo = _: unique "function";
  lines = separated "lines" "\n";
  commas = separated "commas" ",";
  envVar = separated "envVar" ":";
  separatedString = sep: separated "separatedString" sep;
  coercedTo = _: _: to: to;
  addCheck = t: _: t;
  deferredModule = deferredModuleWith { };
  inherit deferredModuleWith;
  attrTag = _: anything;
  optionType = unique "optionType";
  pkgs = scalar "pkgs";
  # types.isType and friends, as some modules test for them
  isType = name: t: isAttrs t && (t._type or null) == "option-type" && t.name == name;
}
