# The stand-in for nixpkgs' `lib`: the functions NixOS and home-manager configurations
# commonly call, written from their documented behaviour, plus the small module system of
# modules.nix and `nixosSystem`. Nothing here reaches the network or the store.
let
  b = builtins;

  lib = {
    inherit (b)
      add
      all
      any
      attrNames
      attrValues
      baseNameOf
      catAttrs
      concatLists
      concatMap
      concatStringsSep
      deepSeq
      dirOf
      elem
      elemAt
      filter
      foldl'
      fromJSON
      genList
      genericClosure
      getAttr
      groupBy
      hasAttr
      head
      intersectAttrs
      isAttrs
      isBool
      isFloat
      isInt
      isList
      isPath
      isString
      length
      map
      mapAttrs
      match
      parseDrvName
      partition
      pathExists
      readDir
      readFile
      removeAttrs
      replaceStrings
      seq
      sort
      split
      stringLength
      sub
      substring
      tail
      toJSON
      toString
      trace
      typeOf
      zipAttrsWith
      ;

    # -- trivial ---------------------------------------------------------------------------------
    id = x: x;
    const = x: _: x;
    flip =
      f: a: c:
      f c a;
    pipe = b.foldl' (x: f: f x);
    fix =
      f:
      let
        x = f x;
      in
      x;
    extends =
      overlay: f: final:
      let
        prev = f final;
      in
      prev // overlay final prev;
    composeExtensions =
      f: g: final: prev:
      let
        fp = f final prev;
      in
      fp // g final (prev // fp);
    composeManyExtensions = lib.foldr lib.composeExtensions (_: _: { });
    boolToString = v: if v then "true" else "false";
    mod = x: y: x - y * (x / y);
    min = x: y: if x < y then x else y;
    max = x: y: if x > y then x else y;
    warn = msg: b.trace "warning: ${msg}";
    warnIf = c: msg: if c then lib.warn msg else lib.id;
    warnIfNot = c: lib.warnIf (!c);
    info = msg: b.trace "INFO: ${msg}";
    throwIf = c: msg: if c then throw msg else lib.id;
    throwIfNot = c: lib.throwIf (!c);
    assertMsg = pred: msg: pred || throw msg;
    assertOneOf =
      name: val: xs:
      lib.assertMsg (b.elem val xs) "${name} must be one of ${b.toJSON xs}";
    setFunctionArgs = f: args: {
      __functor = _: f;
      __functionArgs = args;
    };
    functionArgs = f: f.__functionArgs or (b.functionArgs (f.__functor or f));
    mirrorFunctionArgs = f: g: lib.setFunctionArgs g (lib.functionArgs f);
    isFunction = f: b.isFunction f || (b.isAttrs f && f ? __functor);
    importJSON = p: b.fromJSON (b.readFile p);
    importTOML = p: b.fromTOML (b.readFile p);
    toInt =
      s:
      let
        v = b.fromJSON s;
      in
      if b.isInt v then v else throw "lib.toInt: `${s}` is not an integer";
    toIntBase10 = lib.toInt;
    version = "25.05";
    release = "25.05";
    codeName = "Stand-in";
    oldestSupportedRelease = 2405;
    isInOldestRelease = _: true;
    inNixShell = false;
    fakeHash = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    fakeSha256 = "0000000000000000000000000000000000000000000000000000";

    # -- attribute sets --------------------------------------------------------------------------
    nameValuePair = name: value: { inherit name value; };
    genAttrs = names: f: b.listToAttrs (b.map (n: lib.nameValuePair n (f n)) names);
    "mapAttrs'" = f: set: b.listToAttrs (b.map (n: f n set.${n}) (b.attrNames set));
    mapAttrsToList = f: set: b.map (n: f n set.${n}) (b.attrNames set);
    attrsToList = lib.mapAttrsToList lib.nameValuePair;
    filterAttrs =
      pred: set:
      b.listToAttrs (
        b.concatMap (
          n:
          let
            v = set.${n};
          in
          if pred n v then [ (lib.nameValuePair n v) ] else [ ]
        ) (b.attrNames set)
      );
    mergeAttrsList = b.foldl' (a: c: a // c) { };
    concatMapAttrs = f: set: lib.mergeAttrsList (lib.mapAttrsToList f set);
    optionalAttrs = c: set: if c then set else { };
    attrByPath =
      path: default: set:
      if path == [ ] then
        set
      else if b.isAttrs set && set ? ${b.head path} then
        lib.attrByPath (b.tail path) default set.${b.head path}
      else
        default;
    hasAttrByPath =
      path: set:
      path == [ ]
      || (b.isAttrs set && set ? ${b.head path} && lib.hasAttrByPath (b.tail path) set.${b.head path});
    getAttrFromPath =
      path: set:
      lib.attrByPath path (throw "cannot find attribute `${b.concatStringsSep "." path}'") set;
    setAttrByPath = path: value: lib.foldr (n: acc: { ${n} = acc; }) value path;
    recursiveUpdateUntil =
      pred: lhs: rhs:
      let
        go =
          path: l: r:
          if b.isAttrs l && b.isAttrs r && !(pred path l r) then
            l
            // b.mapAttrs (n: v: if l ? ${n} then go (path ++ [ n ]) l.${n} v else v) r
          else
            r;
      in
      go [ ] lhs rhs;
    recursiveUpdate = lib.recursiveUpdateUntil (_: l: r: !(b.isAttrs l && b.isAttrs r));
    zipAttrs = b.zipAttrsWith (_: vs: vs);
    foldAttrs =
      op: nul: list:
      b.zipAttrsWith (_: vs: lib.foldr op nul vs) list;
    collect =
      pred: v:
      if pred v then
        [ v ]
      else if b.isAttrs v then
        b.concatMap (lib.collect pred) (b.attrValues v)
      else
        [ ];
    attrVals = names: set: b.map (n: set.${n}) names;
    mapAttrsRecursiveCond =
      cond: f: set:
      let
        go =
          path: s:
          b.mapAttrs (
            n: v: if b.isAttrs v && cond v then go (path ++ [ n ]) v else f (path ++ [ n ]) v
          ) s;
      in
      go [ ] set;
    mapAttrsRecursive = lib.mapAttrsRecursiveCond (_: true);
    filterAttrsRecursive =
      pred: set:
      b.listToAttrs (
        b.concatMap (
          n:
          let
            v = set.${n};
          in
          if pred n v then
            [ (lib.nameValuePair n (if b.isAttrs v then lib.filterAttrsRecursive pred v else v)) ]
          else
            [ ]
        ) (b.attrNames set)
      );
    isDerivation = v: b.isAttrs v && (v.type or null) == "derivation";
    recurseIntoAttrs = set: set // { recurseForDerivations = true; };
    dontRecurseIntoAttrs = set: set // { recurseForDerivations = false; };
    getOutput = _: p: p;
    getBin = p: p;
    getLib = p: p;
    getDev = p: p;
    getMan = p: p;
    unionOfDisjoint = l: r: l // r;
    genAttrs' = xs: f: b.listToAttrs (b.map f xs);

    # -- lists -----------------------------------------------------------------------------------
    optional = c: x: if c then [ x ] else [ ];
    optionals = c: xs: if c then xs else [ ];
    flatten = x: if b.isList x then b.concatMap lib.flatten x else [ x ];
    foldr =
      op: nul: list:
      let
        len = b.length list;
        go = n: if n == len then nul else op (b.elemAt list n) (go (n + 1));
      in
      go 0;
    fold = lib.foldr;
    foldl = op: nul: list: b.foldl' op nul list;
    last = list: b.elemAt list (b.length list - 1);
    init = list: b.genList (b.elemAt list) (b.length list - 1);
    range =
      first: final: if first > final then [ ] else b.genList (i: first + i) (final - first + 1);
    unique = b.foldl' (acc: e: if b.elem e acc then acc else acc ++ [ e ]) [ ];
    allUnique = list: b.length (lib.unique list) == b.length list;
    reverseList =
      xs:
      let
        l = b.length xs;
      in
      b.genList (i: b.elemAt xs (l - i - 1)) l;
    imap0 = f: list: b.genList (i: f i (b.elemAt list i)) (b.length list);
    imap1 = f: list: b.genList (i: f (i + 1) (b.elemAt list i)) (b.length list);
    sublist =
      start: count: list:
      let
        len = b.length list;
        s = if start >= len then len else start;
        c = if s + count > len then len - s else count;
      in
      b.genList (i: b.elemAt list (s + i)) c;
    take = count: lib.sublist 0 count;
    drop = count: list: lib.sublist count (b.length list) list;
    count = pred: b.foldl' (c: x: if pred x then c + 1 else c) 0;
    findFirst =
      pred: default: list:
      let
        found = b.filter pred list;
      in
      if found == [ ] then default else b.head found;
    findSingle =
      pred: none: multiple: list:
      let
        found = b.filter pred list;
      in
      if found == [ ] then
        none
      else if b.length found == 1 then
        b.head found
      else
        multiple;
    forEach = xs: f: b.map f xs;
    toList = x: if b.isList x then x else [ x ];
    singleton = x: [ x ];
    remove = e: b.filter (x: x != e);
    subtractLists = e: b.filter (x: !(b.elem x e));
    intersectLists = e: b.filter (x: b.elem x e);
    mutuallyExclusive = a: c: b.all (x: !(b.elem x c)) a;
    zipListsWith =
      f: fst: snd:
      b.genList (i: f (b.elemAt fst i) (b.elemAt snd i)) (lib.min (b.length fst) (b.length snd));
    zipLists = lib.zipListsWith (fst: snd: { inherit fst snd; });
    replicate = n: x: b.genList (_: x) n;
    sortOn = f: b.sort (x: y: f x < f y);
    ifilter0 =
      pred: list:
      b.concatLists (
        lib.imap0 (
          i: x:
          if pred i x then
            [ x ]
          else
            [ ]
        ) list
      );
    listToAttrs = b.listToAttrs;
    naturalSort = b.sort b.lessThan;

    # -- strings ---------------------------------------------------------------------------------
    concatStrings = b.concatStringsSep "";
    concatMapStrings = f: list: lib.concatStrings (b.map f list);
    concatMapStringsSep =
      sep: f: list:
      b.concatStringsSep sep (b.map f list);
    concatImapStrings = f: list: lib.concatStrings (lib.imap1 f list);
    concatLines = lib.concatMapStrings (s: s + "\n");
    intersperse =
      sep: list:
      if list == [ ] then [ ] else b.tail (b.concatMap (x: [ sep x ]) list);
    optionalString = c: s: if c then s else "";
    hasPrefix = pre: s: b.substring 0 (b.stringLength pre) s == pre;
    hasSuffix =
      suf: s:
      let
        ls = b.stringLength s;
        lf = b.stringLength suf;
      in
      lf <= ls && b.substring (ls - lf) lf s == suf;
    hasInfix =
      infix: s:
      let
        li = b.stringLength infix;
        ls = b.stringLength s;
      in
      b.any (i: b.substring i li s == infix) (lib.range 0 (ls - li));
    removePrefix =
      pre: s:
      if lib.hasPrefix pre s then b.substring (b.stringLength pre) (b.stringLength s) s else s;
    removeSuffix =
      suf: s:
      if lib.hasSuffix suf s then b.substring 0 (b.stringLength s - b.stringLength suf) s else s;
    stringToCharacters = s: b.genList (p: b.substring p 1 s) (b.stringLength s);
    escape = list: b.replaceStrings list (b.map (c: "\\${c}") list);
    escapeRegex = lib.escape (lib.stringToCharacters "\\[{()^$?*+|.");
    splitString = sep: s: b.filter b.isString (b.split (lib.escapeRegex sep) s);
    toUpper = b.replaceStrings lib.lowerChars lib.upperChars;
    toLower = b.replaceStrings lib.upperChars lib.lowerChars;
    lowerChars = lib.stringToCharacters "abcdefghijklmnopqrstuvwxyz";
    upperChars = lib.stringToCharacters "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    escapeShellArg = arg: "'${b.replaceStrings [ "'" ] [ "'\\''" ] (b.toString arg)}'";
    escapeShellArgs = lib.concatMapStringsSep " " lib.escapeShellArg;
    makeSearchPath =
      sub: paths:
      b.concatStringsSep ":" (b.map (p: "${b.toString p}/${sub}") (b.filter (p: p != null) paths));
    makeBinPath = lib.makeSearchPath "bin";
    makeLibraryPath = lib.makeSearchPath "lib";
    getName = x: if b.isString x then (b.parseDrvName x).name else x.pname or (b.parseDrvName x.name).name;
    getVersion =
      x: if b.isString x then (b.parseDrvName x).version else x.version or (b.parseDrvName x.name).version;
    getExe = p: "${p}/bin/${p.meta.mainProgram or (lib.getName p)}";
    "getExe'" = p: name: "${p}/bin/${name}";
    versionAtLeast = v1: v2: b.compareVersions v1 v2 >= 0;
    versionOlder = v1: v2: b.compareVersions v2 v1 == 1;
    fileContents = file: lib.removeSuffix "\n" (b.readFile file);
    trim =
      s:
      let
        m = b.match "[[:space:]]*(.*[^[:space:]])[[:space:]]*" s;
      in
      if m == null then "" else b.head m;
    isStringLike = x: b.isString x || b.isPath x || (b.isAttrs x && (x ? outPath || x ? __toString));
    enableFeature = c: f: "--${if c then "enable" else "disable"}-${f}";
    withFeature = c: f: "--${if c then "with" else "without"}-${f}";
    mesonBool = n: c: "-D${n}=${if c then "true" else "false"}";
    sanitizeDerivationName = b.replaceStrings [ " " "/" ] [ "-" "-" ];

    generators = {
      toJSON = _: b.toJSON;
      toYAML = _: b.toJSON;
      mkKeyValueDefault = _: sep: k: v: "${k}${sep}${lib.generators.mkValueStringDefault { } v}";
      mkValueStringDefault =
        _: v:
        if b.isBool v then
          lib.boolToString v
        else
          b.toString v;
      toKeyValue =
        {
          mkKeyValue ? lib.generators.mkKeyValueDefault { } "=",
          ...
        }:
        set: lib.concatStrings (lib.mapAttrsToList (k: v: mkKeyValue k v + "\n") set);
      toINI =
        _: set:
        lib.concatStrings (
          lib.mapAttrsToList (
            section: values: "[${section}]\n" + lib.generators.toKeyValue { } values
          ) set
        );
      toGitINI = lib.generators.toINI { };
    };

    # -- filesystem, sources ---------------------------------------------------------------------
    filesystem = {
      listFilesRecursive =
        dir:
        lib.flatten (
          lib.mapAttrsToList (
            name: type:
            if type == "directory" then
              lib.filesystem.listFilesRecursive (dir + "/${name}")
            else
              dir + "/${name}"
          ) (b.readDir dir)
        );
      pathType = p: if b.pathExists (b.toString p + "/.") then "directory" else "regular";
    };
    cleanSource = src: src;
    cleanSourceWith = { src, ... }: src;
    sourceByRegex = src: _: src;
    sources = {
      inherit (lib) cleanSource cleanSourceWith sourceByRegex;
    };

    # -- packages --------------------------------------------------------------------------------
    callPackageWith =
      autoArgs: fn: args:
      let
        f = if lib.isFunction fn then fn else import fn;
      in
      f (b.intersectAttrs (lib.functionArgs f) autoArgs // args);
    makeOverridable = f: f;
    systems = {
      flakeExposed = [
        "x86_64-linux"
        "aarch64-linux"
        "x86_64-darwin"
        "aarch64-darwin"
      ];
      doubles.all = lib.systems.flakeExposed;
      elaborate = system: {
        inherit system;
        isLinux = lib.hasSuffix "-linux" system;
        isDarwin = lib.hasSuffix "-darwin" system;
      };
    };
    platforms = {
      linux = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      darwin = [
        "x86_64-darwin"
        "aarch64-darwin"
      ];
      all = lib.systems.flakeExposed;
      unix = lib.systems.flakeExposed;
    };
    licenses = {
      mit = {
        spdxId = "MIT";
        free = true;
      };
      unfree = {
        spdxId = "unfree";
        free = false;
      };
    };
    maintainers = { };
    meta = {
      inherit (lib) getExe;
      "getExe'" = lib."getExe'";
      getName = lib.getName;
    };

    # -- options and modules ---------------------------------------------------------------------
    modules = import ./modules.nix { inherit lib; };
    types = import ./types.nix { inherit lib; };
    inherit (lib.modules)
      mkIf
      mkMerge
      mkOverride
      mkDefault
      mkForce
      mkOptionDefault
      mkImageMediaOverride
      mkVMOverride
      mkOrder
      mkBefore
      mkAfter
      mkOption
      mkFixStrictness
      evalModules
      defaultOverridePriority
      defaultOrderPriority
      ;
    mkEnableOption =
      name:
      lib.mkOption {
        type = lib.types.bool;
        default = false;
        example = true;
        description = "Whether to enable ${name}.";
      };
    mkPackageOption =
      pkgs: name:
      {
        default ? [ name ],
        nullable ? false,
        ...
      }:
      lib.mkOption {
        type = lib.types.package;
        default =
          if default == null then null else lib.attrByPath (lib.toList default) null pkgs;
      };
    mkSinkUndeclaredOptions = _: lib.mkOption { type = lib.types.anything; };
    # Renamed/removed option modules: the stand-in declares no options to rename, so these add
    # nothing (their old names stay free-form).
    mkRenamedOptionModule = _: _: { };
    mkRenamedOptionModuleWith = _: { };
    mkRemovedOptionModule = _: _: { };
    mkAliasOptionModule = _: _: { };
    mkChangedOptionModule =
      _: _: _:
      { };
    mkMergedOptionModule =
      _: _: _:
      { };
    literalExpression = text: {
      _type = "literalExpression";
      inherit text;
    };
    literalExample = lib.literalExpression;
    literalMD = text: {
      _type = "literalMD";
      inherit text;
    };
    mdDoc = x: x;
    showOption = b.concatStringsSep ".";
    options = {
      inherit (lib)
        mkOption
        mkEnableOption
        mkPackageOption
        literalExpression
        literalMD
        showOption
        ;
    };
    mkOptionType = lib.types.mkOptionType;
    isType = type: x: b.isAttrs x && (x._type or null) == type;

    # -- namespaces, as nixpkgs spells them ------------------------------------------------------
    trivial = lib;
    attrsets = lib;
    lists = lib;
    strings = lib;
    customisation = lib;
    fixedPoints = lib;
    asserts = lib;
    debug = lib;
    versions = {
      majorMinor =
        v:
        let
          parts = b.splitVersion v;
        in
        "${b.elemAt parts 0}.${b.elemAt parts 1}";
      major = v: b.head (b.splitVersion v);
    };

    # -- NixOS -----------------------------------------------------------------------------------
    nixosSystem = import ../nixos/eval-config.nix { inherit lib; };
    extend =
      f:
      let
        final = lib // f final lib;
      in
      final;
  };
in
lib
