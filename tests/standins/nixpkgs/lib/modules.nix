# A small module system: the parts of nixpkgs' lib.modules that NixOS and home-manager
# configurations rely on, written for the stand-in from their documented behaviour.
#
# - imports: paths, directories (their default.nix), functions, attribute sets, nested;
#   every file is read once (a module's key is its path, or its `key` attribute)
# - `disabledModules` (paths, strings relative to modulesPath, keys)
# - module arguments: config, options, lib, specialArgs, `_module.args`
# - full-form modules `{ imports; options; config; }` and the shorthand
# - definitions merge freely where no option is declared: attribute sets merge recursively,
#   lists concatenate in mkBefore/mkAfter/mkOrder order, other values by priority
#   (mkForce 50 < plain 100 < mkDefault 1000 < option default 1500); two different values of
#   the same priority are an error ("conflicting definition values")
# - mkIf/mkOverride/mkMerge are pushed down into attribute sets, so the names of a set never
#   depend on a condition; a name whose only definitions are conditional leaves exists when
#   one of the conditions holds
# - declared options (mkOption with a type from types.nix) merge through their type
{ lib }:
let
  inherit (builtins)
    all
    any
    attrNames
    concatLists
    concatMap
    elem
    filter
    foldl'
    genericClosure
    genList
    head
    isAttrs
    isBool
    isFunction
    isList
    isPath
    isString
    length
    listToAttrs
    mapAttrs
    removeAttrs
    sort
    tail
    toString
    zipAttrsWith
    ;

  showLoc = loc: if loc == [ ] then "<the configuration>" else lib.concatStringsSep "." loc;

  mkIf = condition: content: {
    _type = "if";
    inherit condition content;
  };
  mkMerge = contents: {
    _type = "merge";
    inherit contents;
  };
  mkOverride = priority: content: {
    _type = "override";
    inherit priority content;
  };
  mkOrder = priority: content: {
    _type = "order";
    inherit priority content;
  };

  defaultOverridePriority = 100;
  defaultOrderPriority = 1000;

  kindOf = v: if isAttrs v then v._type or null else null;

  # An attribute set that holds more definitions (not a package, a flake, a property or an option).
  plain =
    v: isAttrs v && !(v ? _type) && !(v ? outPath) && !(v ? __functor) && !(v ? __toString);

  # Could this value become an attribute set once its properties are removed?
  setLike =
    v:
    let
      k = kindOf v;
    in
    if k == "if" || k == "override" then
      setLike v.content
    else if k == "merge" then
      any setLike v.contents
    else
      plain v;

  condition =
    loc: c:
    if isBool c then
      c
    else
      throw "homeward stand-in: `${showLoc loc}`: lib.mkIf was given a condition that is not a Boolean";

  # Does a definition (properties still on it) define anything at all?
  present =
    loc: v:
    let
      k = kindOf v;
    in
    if k == "if" then
      setLike v.content || (condition loc v.condition && present loc v.content)
    else if k == "override" || k == "order" then
      present loc v.content
    else if k == "merge" then
      any (present loc) v.contents
    else
      true;

  # mkMerge splits; mkIf and mkOverride move into the attributes of a set.
  pushDown =
    def:
    let
      v = def.value;
      k = kindOf v;
      wrap =
        f: d:
        d
        // {
          value = if plain d.value then mapAttrs (_: f) d.value else f d.value;
        };
    in
    if k == "merge" then
      concatMap (c: pushDown (def // { value = c; })) v.contents
    else if k == "if" then
      map (wrap (mkIf v.condition)) (pushDown (def // { value = v.content; }))
    else if k == "override" then
      map (wrap (mkOverride v.priority)) (pushDown (def // { value = v.content; }))
    else
      [ def ];

  # Remove the properties of a leaf definition: evaluate conditions, record priority and order.
  discharge =
    loc: def:
    let
      v = def.value;
      k = kindOf v;
      inner = discharge loc (def // { value = v.content; });
    in
    if k == "merge" then
      concatMap (c: discharge loc (def // { value = c; })) v.contents
    else if k == "if" then
      (if condition loc v.condition then inner else [ ])
    else if k == "override" then
      map (d: d // { prio = v.priority; }) inner
    else if k == "order" then
      map (d: d // { order = v.priority; }) inner
    else
      [
        (
          {
            prio = defaultOverridePriority;
            order = defaultOrderPriority;
          }
          // def
        )
      ];

  # The definitions that count: the best priority only, sorted by order.
  resolve =
    loc: defs:
    let
      all' = concatMap (discharge loc) defs;
      best = foldl' (m: d: if d.prio < m then d.prio else m) 100000 all';
    in
    sort (a: b: a.order < b.order) (filter (d: d.prio == best) all');

  showValue =
    v:
    if isString v then
      "\"${v}\""
    else if isBool v then
      (if v then "true" else "false")
    else if v == null then
      "null"
    else if isFunction v then
      "<function>"
    else if isList v then
      "[ ${lib.concatMapStringsSep " " showValue v} ]"
    else if isAttrs v && v ? outPath then
      "<${v.name or "package"}>"
    else if isAttrs v then
      "{ ${lib.concatMapStringsSep " " (n: "${n} = …;") (attrNames v)} }"
    else
      toString v;

  noValue =
    loc:
    throw "homeward stand-in: the option `${showLoc loc}` is used but not defined (or every definition of it is disabled by lib.mkIf)";

  conflict =
    loc: ds:
    throw (
      "homeward stand-in: the option `${showLoc loc}` has conflicting definition values:"
      + lib.concatMapStrings (d: "\n  - in `${toString d.file}`: ${showValue d.value}") ds
      + "\n  give one of them lib.mkForce or lib.mkDefault to say which one wins"
    );

  # Resolved definitions of a value that merges only when all are equal.
  mergeEqual =
    loc: ds:
    if ds == [ ] then
      noValue loc
    else
      let
        first = (head ds).value;
      in
      if all (d: d.value == first) (tail ds) then first else conflict loc ds;

  # Definitions -> { name = [ definitions of that name ]; } for definitions whose values are sets.
  zipDefs =
    defs:
    zipAttrsWith (_: ds: ds) (
      map (d: mapAttrs (_: v: { inherit (d) file; value = v; }) d.value) defs
    );

  # Pushed-down definitions of a place that must be an attribute set.
  toSets =
    loc: defs:
    concatMap (
      d:
      if plain d.value then
        [ d ]
      else
        map (
          r:
          if plain r.value then
            r
          else
            throw "homeward stand-in: `${showLoc loc}` is an attribute set, but `${toString d.file}` gives it ${showValue r.value}"
        ) (discharge loc d)
    ) (concatMap pushDown defs);

  # An attribute set from definitions whose values are sets: `opts` are the declarations found
  # there (they always exist), `child` merges the definitions of one name.
  mergeSet =
    loc: opts: sets: child:
    let
      zipped = zipDefs sets;
      keep = n: opts ? ${n} || any (d: present (loc ++ [ n ]) d.value) zipped.${n};
      names = filter keep (attrNames zipped);
      fromDefs = listToAttrs (
        map (n: {
          name = n;
          value = child n zipped.${n};
        }) names
      );
      onlyDeclared = mapAttrs (n: _: child n [ ]) (removeAttrs opts (attrNames zipped));
    in
    onlyDeclared // fromDefs;

  isOption = v: isAttrs v && (v._type or null) == "option";

  # Merge the definitions of one place, guided by the declarations below it (null: none).
  mergeAt =
    loc: decl: defs:
    if decl == null then
      mergeFree loc defs
    else if isOption decl then
      mergeOption loc decl defs
    else
      mergeSet loc decl (toSets loc defs) (n: ds: mergeAt (loc ++ [ n ]) (decl.${n} or null) ds);

  # Where nothing is declared (types.anything).
  mergeFree =
    loc: defs:
    let
      pushed = concatMap pushDown defs;
    in
    if pushed != [ ] && all (d: plain d.value) pushed then
      mergeSet loc { } pushed (n: ds: mergeFree (loc ++ [ n ]) ds)
    else
      mergeLeaf loc (resolve loc pushed);

  mergeLeaf =
    loc: ds:
    let
      values = map (d: d.value) ds;
    in
    if ds == [ ] then
      noValue loc
    else if all isList values then
      concatLists values
    else if all plain values then
      mergeSet loc { } ds (n: ds': mergeFree (loc ++ [ n ]) ds')
    else
      mergeEqual loc ds;

  mergeOption =
    loc: opt: defs:
    let
      type = opt.type or lib.types.anything;
      defaults = lib.optional (opt ? default) {
        file = "the default of `${showLoc loc}`";
        value = mkOverride 1500 opt.default;
      };
      value = type.merge loc (defs ++ defaults);
    in
    if opt ? apply then opt.apply value else value;

  # -- declarations ----------------------------------------------------------------------------
  mkOption =
    attrs:
    attrs
    // {
      _type = "option";
    };

  mergeTypes =
    loc: a: b:
    if a.name == "submodule" && b.name == "submodule" then
      lib.types.submoduleWith {
        modules = a.modules ++ b.modules;
        specialArgs = a.specialArgs // b.specialArgs;
      }
    else if a.name == b.name && a ? elemType && b ? elemType && a ? wrap then
      a.wrap (mergeTypes loc a.elemType b.elemType)
    else
      throw "homeward stand-in: the option `${showLoc loc}` is declared more than once";

  mergeDecls =
    loc: decls:
    zipAttrsWith (
      n: vs:
      let
        here = loc ++ [ n ];
      in
      if all isOption vs then
        (
          if length vs == 1 then
            head vs
          else
            foldl' (a: b: a // b // { type = mergeTypes here a.type b.type; }) (head vs) (tail vs)
        )
      else if any isOption vs then
        throw "homeward stand-in: `${showLoc here}` is declared both as an option and as a set of options"
      else
        mergeDecls here vs
    ) decls;

  # -- collecting modules ----------------------------------------------------------------------
  keyOfPath =
    p:
    let
      s = toString p;
    in
    if builtins.pathExists (s + "/default.nix") then s + "/default.nix" else s;

  known = [
    "_file"
    "key"
    "imports"
    "disabledModules"
    "meta"
    "freeformType"
    "_class"
  ];

  unify =
    file: key: m:
    let
      full = m ? config || m ? options;
      stray = attrNames (removeAttrs m (known ++ [ "config" "options" ]));
    in
    if full && stray != [ ] then
      throw "homeward stand-in: the module `${toString (m._file or file)}` has `config` or `options` and also ${lib.concatMapStringsSep ", " (n: "`${n}`") stray}: move them into `config`"
    else
    {
      file = toString (m._file or file);
      key = toString (m.key or key);
      imports = m.imports or [ ];
      disabled = m.disabledModules or [ ];
      options = if full then m.options or { } else { };
      config =
        if full then
          m.config or { }
        else
          removeAttrs m known;
    };

  loadModule =
    call: file: key: m:
    if isFunction m || (isAttrs m && m ? __functor) then
      unify file key (call m)
    else if isPath m || isString m then
      loadModule call (toString m) (keyOfPath m) (import m)
    else if isAttrs m then
      unify file key m
    else
      throw "homeward stand-in: a module in `${file}` is neither a path, a function nor an attribute set";

  evalModules =
    {
      modules ? [ ],
      specialArgs ? { },
      prefix ? [ ],
      class ? null,
      ...
    }:
    let
      internal = {
        _file = "<homeward stand-in module system>";
        key = "<homeward stand-in module system>";
        options._module.args = mkOption {
          type = lib.types.lazyAttrsOf lib.types.raw;
          default = { };
        };
        options._module.check = mkOption {
          type = lib.types.bool;
          default = true;
        };
        options._module.freeformType = mkOption {
          type = lib.types.raw;
          default = null;
        };
      };

      args = {
        inherit lib config;
        options = declarations;
        _class = class;
        _prefix = prefix;
      }
      // specialArgs;

      call =
        f:
        let
          wanted = lib.functionArgs f;
        in
        f (
          args
          // mapAttrs (
            n: _:
            args.${n} or config._module.args.${n}
              or (throw "homeward stand-in: a module asks for the argument `${n}`, which nothing provides")
          ) wanted
        );

      item =
        parent: i: m:
        let
          module = loadModule call parent.file "${parent.key}:anon-${toString i}" m;
        in
        {
          key = module.key;
          inherit module;
        };

      # genericClosure keeps the first item of every key: each file is read once.
      closure = genericClosure {
        startSet = lib.imap0 (item {
          file = "<unknown-file>";
          key = "<modules>";
        }) ([ internal ] ++ modules);
        operator = it: lib.imap0 (item it.module) it.module.imports;
      };

      modulesPath = specialArgs.modulesPath or null;
      disabledKey =
        d:
        if isAttrs d && d ? key then
          toString d.key
        else if isString d && !(lib.hasPrefix "/" d) && modulesPath != null then
          keyOfPath "${modulesPath}/${d}"
        else
          keyOfPath d;
      disabledKeys = concatMap (it: map disabledKey it.module.disabled) closure;
      used = map (it: it.module) (filter (it: !(elem it.key disabledKeys)) closure);

      declarations = mergeDecls [ ] (map (m: m.options) used);
      config = mergeSet prefix declarations (toSets prefix (
        map (m: {
          inherit (m) file;
          value = m.config;
        }) used
      )) (n: ds: mergeAt (prefix ++ [ n ]) (declarations.${n} or null) ds);
    in
    {
      inherit config;
      options = declarations;
      _module.args = args;
      modules = used;
      _type = "configuration";
      class = class;
    };
in
{
  inherit
    mkIf
    mkMerge
    mkOverride
    mkOrder
    mkOption
    evalModules
    defaultOverridePriority
    defaultOrderPriority
    ;
  # for types.nix
  inherit
    mergeFree
    mergeEqual
    resolve
    noValue
    toSets
    pushDown
    mergeSet
    showLoc
    plain
    ;
  mkDefault = mkOverride 1000;
  mkForce = mkOverride 50;
  mkOptionDefault = mkOverride 1500;
  mkImageMediaOverride = mkOverride 60;
  mkVMOverride = mkOverride 10;
  mkBefore = mkOrder 500;
  mkAfter = mkOrder 1500;
  mkFixStrictness = x: x;
}
