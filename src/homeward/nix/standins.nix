# Call a flake's `outputs` without the flake machinery, for tests (through nix-instantiate):
# inputs named or pointing at nixpkgs, home-manager, nix-darwin (or `darwin`) or flake-parts are
# the stand-in flakes in `standins` (its `nixpkgs/`, `home-manager/`, `nix-darwin/`,
# `flake-parts/`), `self` is the result, any other input throws when used.
#
# mode = "extract": what extract.nix reads; mode = "record": what each nixosSystem and
# homeManagerConfiguration call received (the stand-ins keep it in `_standin`).
{
  repo,
  standins,
  mode ? "extract",
}:
let
  b = builtins;

  load =
    dir: args:
    let
      flake = import (dir + "/flake.nix");
      outputs = flake.outputs (args // { inherit self; });
      self = outputs // {
        outPath = dir;
        inputs = { };
        inherit outputs;
        _type = "flake";
      };
    in
    self;

  # First match wins: the URLs of home-manager, nix-darwin and flake-parts may mention nixpkgs
  # too. nix-darwin's stand-in follows the stand-in nixpkgs, as configurations make it.
  known = [
    "home-manager"
    "nix-darwin"
    "flake-parts"
    "nixpkgs"
  ];
  aliases = {
    darwin = "nix-darwin";
  };
  loaded = b.mapAttrs (n: args: load "${standins}/${n}" args) {
    home-manager = { };
    nix-darwin = {
      nixpkgs = loaded.nixpkgs;
    };
    flake-parts = { };
    nixpkgs = { };
  };

  flake = import (repo + "/flake.nix");
  declared = flake.inputs or { };
  urlOf =
    n:
    let
      i = declared.${n} or null;
    in
    if b.isString i then
      i
    else if b.isAttrs i then
      toString (i.url or i.repo or "")
    else
      "";
  mentions = word: s: b.match ".*${word}.*" s != null;
  pick =
    n:
    let
      url = urlOf n;
      matches = b.filter (k: n == k || mentions k url) known;
    in
    if aliases ? ${n} then
      loaded.${aliases.${n}}
    else if matches != [ ] then
      loaded.${b.head matches}
    else
      throw "homeward: the flake input `${n}` is not available in this test: only ${b.concatStringsSep ", " known} have stand-ins";

  names = b.filter (n: n != "self") (
    b.attrNames declared ++ b.attrNames (b.functionArgs flake.outputs)
  );
  inputs =
    b.listToAttrs (
      b.map (n: {
        name = n;
        value = pick n;
      }) names
    )
    // {
      inherit self;
    };
  outputs = flake.outputs inputs;
  self = outputs // {
    outPath = repo;
    inherit inputs outputs;
    sourceInfo.outPath = repo;
    _type = "flake";
  };

  describe =
    m:
    if b.isPath m || b.isString m then
      {
        kind = "path";
        path = toString m;
      }
    else if b.isFunction m then
      {
        kind = "function";
        args = b.attrNames (b.functionArgs m);
      }
    else if b.isAttrs m then
      {
        kind = "attrs";
        key = if m ? key then toString m.key else null;
        names = b.attrNames m;
      }
    else
      { kind = "other"; };

  record = {
    hosts = b.mapAttrs (_: s: {
      system = s._standin.system or null;
      modules = b.map describe (s._standin.modules or [ ]);
      special_args = b.attrNames (s._standin.specialArgs or { });
    }) (outputs.nixosConfigurations or { });
    darwin_hosts = b.mapAttrs (_: s: {
      system = s._standin.system or null;
      modules = b.map describe (s._standin.modules or [ ]);
      special_args = b.attrNames (s._standin.specialArgs or { });
    }) (outputs.darwinConfigurations or { });
    homes = b.mapAttrs (_: s: {
      modules = b.map describe (s._standin.modules or [ ]);
      extra_special_args = b.attrNames (s._standin.extraSpecialArgs or { });
    }) (outputs.homeConfigurations or { });
  };
in
if mode == "record" then
  record
else if mode == "extract" then
  import ./extract.nix { inherit outputs; }
else
  throw "homeward: unknown mode `${mode}`"
