# Every option home-manager declares, as JSON: `{ "<dotted path>": { type, file } }`.
#
# Evaluates home-manager's own module list (modules/modules.nix) with nixpkgs' lib and a stub
# `pkgs` (no nixpkgs checkout needed), and walks `options` without forcing any default or
# definition. Run by scripts/hm_options.py, never at test time.
{
  homeManager, # absolute path of a home-manager checkout (a string)
  nixpkgsLib, # absolute path of a nixpkgs.lib (or nixpkgs) checkout (a string)
  # JSON list of module files (relative to the checkout) left out of the evaluation: the ones
  # whose evaluation failed; scripts/hm_options.py reads them statically instead.
  excludeJson ? "[]",
  stubNixpkgs ? ./stub-nixpkgs, # what `pkgs.path` points to (assertions.nix, meta.nix)
  # Files whose submodules are not walked: specialisations hold the whole tree again.
  noDescent ? [ "modules/misc/specialisation.nix" ],
}:
let
  hmRoot = /. + homeManager;
  exclude = builtins.fromJSON excludeJson;
  baseLib = import (/. + nixpkgsLib + "/lib");
  lib = import (hmRoot + "/modules/lib/stdlib-extended.nix") baseLib;
  inherit (lib) types;

  # A derivation-looking value for every `pkgs.<name>`: only its attributes are read, and only
  # when an option declaration itself needs them (a default is never forced).
  fakeDrv = name: {
    type = "derivation";
    inherit name;
    pname = name;
    version = "0";
    outPath = "/nix/store/00000000000000000000000000000000-${name}";
    meta = { };
    passthru = { };
    override = _: fakeDrv name;
    overrideAttrs = _: fakeDrv name;
  };
  formatType = types.attrsOf types.anything;
  format = _: {
    type = formatType;
    generate = name: _: fakeDrv name;
    lib = {
      types = {
        atom = types.anything;
        value = types.anything;
      };
      mkRaw = x: x;
    };
  };
  platform = {
    system = "x86_64-linux";
    isLinux = true;
    isDarwin = false;
    isx86_64 = true;
    isAarch64 = false;
    isi686 = false;
  };
  pkgs = {
      path = stubNixpkgs;
      inherit lib;
      system = platform.system;
      stdenv = {
        hostPlatform = platform;
        buildPlatform = platform;
        targetPlatform = platform;
        inherit (platform) isLinux isDarwin system;
      };
      hostPlatform = platform;
      formats = lib.genAttrs [
        "json"
        "yaml"
        "yaml_1_1"
        "yaml_1_2"
        "toml"
        "ini"
        "iniWithGlobalSection"
        "keyValue"
        "gitIni"
        "javaProperties"
        "xml"
        "lua"
        "nixConf"
        "pythonVars"
        "hocon"
        "elixirConf"
        "libconfig"
        "php"
        "systemd"
        "kdl"
        "cdn"
        "plist"
        "sway"
      ] (_: format);
      writeText = name: _: fakeDrv name;
      writeShellScript = name: _: fakeDrv name;
      writeShellScriptBin = name: _: fakeDrv name;
      writeScript = name: _: fakeDrv name;
      writeTextDir = name: _: fakeDrv name;
      symlinkJoin = a: fakeDrv (a.name or "joined");
      runCommand = name: _: _: fakeDrv name;
      runCommandLocal = name: _: _: fakeDrv name;
      callPackage = _: _: fakeDrv "called";
      buildEnv = a: fakeDrv (a.name or "env");
      emptyDirectory = fakeDrv "empty";
    };

  modules = builtins.filter (m: !(builtins.elem (relative m) exclude)) (
    import (hmRoot + "/modules/modules.nix") {
      inherit pkgs lib;
      check = false;
      useNixpkgsModule = false;
    }
  );

  eval = lib.evalModules {
    modules = modules ++ [ { _module.check = false; } ];
    class = "homeManager";
    specialArgs = {
      modulesPath = homeManager + "/modules";
      inherit pkgs;
    };
  };

  prefix = toString hmRoot + "/";
  # The stub's files stand for nixpkgs' own (`nixpkgs/nixos/modules/misc/meta.nix`): named so,
  # never by where the stub lies on the machine that ran the script.
  stubPrefix = toString stubNixpkgs + "/";
  relative =
    file:
    let
      f = toString file;
    in
    if !(builtins.isPath file || builtins.isString file) then
      ""
    else if lib.hasPrefix stubPrefix f then
      "nixpkgs/" + lib.removePrefix stubPrefix f
    else
      lib.removePrefix prefix f;

  try = default: x: let r = builtins.tryEval x; in if r.success then r.value else default;

  fileOf = opt: try "" (
    let d = map relative (opt.declarations or [ ]); in if d == [ ] then "" else builtins.head d
  );

  # `nullOr submodule` is walked like `submodule`.
  unwrap = t: if (t.name or "") == "nullOr" then t.nestedTypes.elemType else t;
  isSubmodule = t: (t.name or "") == "submodule" && t ? getSubOptions;
  # attrsOf/lazyAttrsOf of a submodule: its options sit below a `<name>` placeholder.
  elemSubmodule =
    t:
    let
      elem = unwrap (t.nestedTypes.elemType or { });
    in
    if builtins.elem (t.name or "") [ "attrsOf" "lazyAttrsOf" ] && isSubmodule elem then elem else null;

  # A submodule's own options, or null when it is free-form (any name is accepted below it) or
  # cannot be read (then nothing below it is checked).
  subOptions =
    t: path:
    let
      r = builtins.tryEval (
        let s = t.getSubOptions path; in if s ? _freeformOptions then null else builtins.removeAttrs s [ "_module" ]
      );
    in
    if r.success then r.value else null;

  # `noDescent`: files whose submodules are not walked (their evaluation failed).
  descend =
    depth: opt: path:
    let
      t = try { } (unwrap opt.type);
      elem = try null (elemSubmodule opt.type);
      file = fileOf opt;
      # An alias's type is its target's; the target is walked where it is declared.
      alias = try false ((opt.visible or true) == false && opt ? description);
      allowed = depth < 6 && !alias && !(builtins.elem file noDescent);
    in
    if !allowed then
      null
    else if try false (isSubmodule t) then
      { at = path; sub = subOptions t path; }
    else if elem != null then
      { at = path ++ [ "<name>" ]; sub = subOptions elem (path ++ [ "<name>" ]); }
    else
      null;

  describe =
    opt:
    let
      visible = try true (opt.visible or true);
      described = try true (opt ? description);
      removed =
        visible == false && !described && opt ? apply && !(builtins.tryEval (opt.apply null)).success;
      alias = try "" (
        let d = opt.description or ""; in
        if visible == false && builtins.isString d && lib.hasPrefix "Alias of {option}`" d then
          builtins.head (builtins.match "Alias of \\{option}`([^`]*)`.*" d)
        else ""
      );
    in
    {
      type = try "unknown" (opt.type.name or "unspecified");
      file = fileOf opt;
    }
    // lib.optionalAttrs (try false (opt.readOnly or false)) { readOnly = true; }
    // lib.optionalAttrs removed { removed = true; }
    // lib.optionalAttrs (alias != "") { inherit alias; };

  walk =
    depth: path: set:
    lib.concatLists (
      lib.mapAttrsToList (
        name: value:
        let
          here = path ++ [ name ];
          isOpt = builtins.tryEval (lib.isOption value);
        in
        if name == "_module" || name == "_freeformOptions" then
          [ ]
        else if !isOpt.success then
          [ { path = here; type = "unknown"; file = ""; } ]
        else if isOpt.value then
          let
            info = describe value;
            below = descend depth value here;
            walked =
              if below == null || below.sub == null then [ ] else walk (depth + 1) below.at below.sub;
            kind =
              if below == null then { }
              else if below.sub == null then { subtree = "open"; }
              else { subtree = "walked"; };
          in
          [ ({ path = here; } // info // kind) ] ++ walked
        else if builtins.isAttrs value then
          walk depth here value
        else
          [ ]
      ) set
    );

  # home-manager's NixOS module (nixos/common.nix, shared with nix-darwin, and nixos/default.nix):
  # `home-manager.*`; its `users` hold the tree above, so nothing below an option is walked.
  osArgs = {
    config.home-manager.extraSpecialArgs = { };
    inherit lib pkgs;
    utils = { };
    _class = "nixos";
  };
  osOptions =
    lib.concatMap
      (
        file:
        map (o: o // { file = "nixos/${file}"; subtree = "open"; }) (
          walk 6 [ "home-manager" ] (import (hmRoot + "/nixos/${file}") osArgs).options.home-manager
        )
      )
      [
        "common.nix"
        "default.nix"
      ];
  # `home-manager.lib.homeManagerConfiguration { ... }`: its arguments.
  hmcArgs = map (name: {
    path = [ "lib" "homeManagerConfiguration" name ];
    type = "argument";
    file = "lib/eval-config.nix";
  }) (builtins.attrNames (builtins.functionArgs (import (hmRoot + "/lib/eval-config.nix"))));
in
walk 0 [ ] eval.options ++ osOptions ++ hmcArgs
