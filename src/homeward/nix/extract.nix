# What `homeward verify` compares, read out of a flake's outputs (JSON-able data only):
#
#   hosts.<host>.users.<user> = {
#     nixos_packages = [ names ];  # users.users.<user>.packages, without home-manager's own
#     home_manager = true;         # whether home-manager.users.<user> exists
#     home_packages = [ names ];   # home-manager.users.<user>.home.packages
#     settings = { "<key>" = "<value>"; };        # effective: NixOS, then home-manager over it
#     nixos_settings = { "<key>" = "<value>"; };  # the NixOS side alone
#   };
#   hosts.<host>.programs = [ names ];  # packages enabled NixOS programs.<p> install system-wide
#   homes."<name>" = { packages = [ names ]; settings = { ... }; };
#
# Settings are the user settings homeward's migrate maps, as dotted keys: `git.<section>.<key>`,
# `sessionVariables.<NAME>`, `shellAliases.<NAME>`, `zsh.<name>` (zsh's interactive settings),
# `file.<path in $HOME>` (home.file and xdg.configFile, tmpfiles links: the store path linked);
# values as strings.
#
# It works on real nixpkgs/home-manager and on the test stand-ins: options that may be missing
# are read with `?`/`or`, values that may throw through tryEval, and nothing else is forced.
{ outputs }:
let
  b = builtins;

  attempt =
    v: default:
    let
      r = b.tryEval v;
    in
    if r.success then r.value else default;

  attr =
    set: name: default:
    if b.isAttrs set && set ? ${name} then attempt set.${name} default else default;

  # Nested attribute lookup with a default; a value that throws counts as missing.
  lookup =
    set: path: default:
    if path == [ ] then
      set
    else if b.isAttrs set && set ? ${b.head path} then
      lookup (attempt set.${b.head path} null) (b.tail path) default
    else
      default;

  isPackage = v: b.isAttrs v && v ? outPath;

  storeName =
    s:
    let
      base = b.baseNameOf s;
    in
    if b.match "[0-9a-z]{32}-.*" base != null then b.substring 33 (b.stringLength base) base else base;

  nameOf =
    p:
    attempt (
      if b.isAttrs p then
        (if p ? pname then p.pname else (b.parseDrvName (p.name or "unnamed")).name)
      else if b.isString p || b.isPath p then
        (b.parseDrvName (storeName (toString p))).name
      else
        "<not a package>"
    ) "<error>";

  names =
    list: b.sort b.lessThan (b.map (p: b.unsafeDiscardStringContext (nameOf p)) (attempt list [ ]));

  toStr =
    v:
    if b.isString v then
      b.unsafeDiscardStringContext v
    else if b.isBool v then
      (if v then "true" else "false")
    else if b.isInt v || b.isFloat v then
      toString v
    else if v == null then
      "null"
    else if b.isPath v then
      toString v
    else if b.isList v then
      b.toJSON (b.map toStr v)
    else if isPackage v then
      nameOf v
    else if b.isFunction v then
      "<function>"
    else if b.isAttrs v then
      b.toJSON (b.mapAttrs (_: toStr) v)
    else
      "<unknown>";

  safe =
    convert: v:
    let
      r = b.tryEval (
        let
          s = convert v;
        in
        b.deepSeq s s
      );
    in
    if r.success then r.value else "<error>";

  # { a.b = 1; } -> [ { name = "git.a.b"; value = "1"; } ]
  flatten =
    prefix: set:
    b.concatMap (
      n:
      let
        r = b.tryEval set.${n};
        key = "${prefix}.${n}";
      in
      if !r.success then
        [
          {
            name = key;
            value = "<error>";
          }
        ]
      else if b.isAttrs r.value && !isPackage r.value && !(r.value ? _type) then
        flatten key r.value
      else
        [
          {
            name = key;
            value = safe toStr r.value;
          }
        ]
    ) (b.attrNames set);

  flat = prefix: set: if b.isAttrs set then b.listToAttrs (flatten prefix set) else { };

  # One level: `sessionVariables.EDITOR`; list values joined with `:` as NixOS does.
  level =
    prefix: convert: set:
    if b.isAttrs set then
      b.listToAttrs (
        b.map (n: {
          name = "${prefix}.${n}";
          value = safe convert (attempt set.${n} "<error>");
        }) (b.attrNames set)
      )
    else
      { };

  variable = v: if b.isList v then b.concatStringsSep ":" (b.map toStr v) else toStr v;

  update =
    l: r:
    if b.isAttrs l && b.isAttrs r && !isPackage l && !isPackage r then
      l // b.mapAttrs (n: v: if l ? ${n} then update l.${n} v else v) r
    else
      r;

  enabled = cfg: path: lookup cfg (path ++ [ "enable" ]) false == true;

  # NixOS: programs.git.config (an attribute set or a list of them), only when enabled.
  nixosGit =
    c:
    let
      value = lookup c [ "programs" "git" "config" ] { };
      merged = if b.isList value then b.foldl' update { } value else value;
    in
    if enabled c [ "programs" "git" ] then flat "git" merged else { };

  # The shells' user settings, by their NixOS names, only where the shell is configured:
  # `<shell>.<name>` (`zsh.ohMyZsh.plugins`, `fish.init`, `bash.init`) and
  # `<shell>.<set>.<key>` (`zsh.shellAliases.ll`, `fish.shellAbbrs.gs`), as the split of
  # `programs.<shell>` maps them (knowledge/mapping.py); unset options are left out.
  shellSettings =
    shell: on: z: names:
    if on then
      b.listToAttrs (
        b.concatMap (
          n:
          let
            v = lookup z names.${n} null;
          in
          if v == null || v == "" then
            [ ]
          else
            [
              {
                name = "${shell}.${n}";
                value = safe toStr v;
              }
            ]
        ) (b.attrNames names)
      )
      // b.foldl' (acc: set: acc // level "${shell}.${set}" toStr (lookup z [ set ] { })) { } (
        shellSets.${shell}
      )
    else
      { };
  shellSets = {
    zsh = [ "shellAliases" ];
    fish = [
      "shellAliases"
      "shellAbbrs"
    ];
    bash = [ "shellAliases" ];
  };
  zshNames = {
    "ohMyZsh.enable" = [ "ohMyZsh" "enable" ];
    "ohMyZsh.plugins" = [ "ohMyZsh" "plugins" ];
    "ohMyZsh.theme" = [ "ohMyZsh" "theme" ];
    "ohMyZsh.custom" = [ "ohMyZsh" "custom" ];
    "autosuggestions.enable" = [ "autosuggestions" "enable" ];
    "autosuggestions.strategy" = [ "autosuggestions" "strategy" ];
    "syntaxHighlighting.enable" = [ "syntaxHighlighting" "enable" ];
    "syntaxHighlighting.styles" = [ "syntaxHighlighting" "styles" ];
    init = [ "interactiveShellInit" ];
    histSize = [ "histSize" ];
  };
  homeZshNames = zshNames // {
    "ohMyZsh.enable" = [ "oh-my-zsh" "enable" ];
    "ohMyZsh.plugins" = [ "oh-my-zsh" "plugins" ];
    "ohMyZsh.theme" = [ "oh-my-zsh" "theme" ];
    "ohMyZsh.custom" = [ "oh-my-zsh" "custom" ];
    "autosuggestions.enable" = [ "autosuggestion" "enable" ];
    "autosuggestions.strategy" = [ "autosuggestion" "strategy" ];
    init = [ "init" ];
    histSize = [ "history" "size" ];
  };
  fishNames = {
    init = [ "interactiveShellInit" ];
    shellInit = [ "shellInit" ];
    loginShellInit = [ "loginShellInit" ];
  };
  bashNames = {
    init = [ "interactiveShellInit" ];
  };
  # home-manager's `initContent` (from 25.05) and `initExtra` (before, deprecated since).
  homeShells =
    h:
    let
      z = lookup h [ "programs" "zsh" ] { };
      init = b.concatStringsSep "" (
        b.filter b.isString [
          (attr z "initContent" "")
          (attr z "initExtra" "")
        ]
      );
      fish = lookup h [ "programs" "fish" ] { };
      bash = lookup h [ "programs" "bash" ] { };
    in
    shellSettings "zsh" (enabled h [ "programs" "zsh" ]) (
      if b.isAttrs z then z // { inherit init; } else { }
    ) homeZshNames
    // shellSettings "fish" (enabled h [ "programs" "fish" ]) fish fishNames
    // shellSettings "bash" (enabled h [ "programs" "bash" ]) bash { init = [ "initExtra" ]; };

  nixosSettings =
    c:
    nixosGit c
    // shellSettings "zsh" (enabled c [ "programs" "zsh" ]) (lookup c [ "programs" "zsh" ] { }) zshNames
    // shellSettings "fish" (enabled c [ "programs" "fish" ]) (lookup c [ "programs" "fish" ] { }) fishNames
    # NixOS always configures bash (it has no `enable`).
    // shellSettings "bash" true (lookup c [ "programs" "bash" ] { }) bashNames
    // level "sessionVariables" variable (
      update (lookup c [ "environment" "sessionVariables" ] { }) (
        lookup c [ "environment" "variables" ] { }
      )
    )
    // level "shellAliases" toStr (lookup c [ "environment" "shellAliases" ] { });

  # home-manager: programs.git.settings (current), iniContent (older releases, everything), or
  # the legacy options themselves; only when enabled.
  homeGit =
    h:
    let
      g = lookup h [ "programs" "git" ] { };
      legacy =
        update (
          let
            extra = attr g "extraConfig" { };
          in
          if b.isAttrs extra then extra else { }
        ) (
          (
            let
              aliases = attr g "aliases" { };
            in
            if aliases != { } then { alias = aliases; } else { }
          )
          // {
            user =
              (
                let
                  name = attr g "userName" null;
                in
                if name != null then { inherit name; } else { }
              )
              // (
                let
                  email = attr g "userEmail" null;
                in
                if email != null then { inherit email; } else { }
              );
          }
        );
      value =
        if g ? settings then
          attr g "settings" { }
        else if g ? iniContent then
          attr g "iniContent" { }
        else
          legacy;
    in
    if enabled h [ "programs" "git" ] then flat "git" value else { };

  # home.file (xdg.configFile feeds it): `file.<path in $HOME>` = what is linked there (a store
  # path names its content), so that a dotfile moving between mechanisms is compared by what
  # reaches $HOME.
  # A file's name as a store path may hold it: as is when valid (`"${./x}"` gives the same
  # path), else safe characters behind `hm_` (home-manager names such files so too).
  fileStoreName =
    name:
    if b.match "[A-Za-z0-9+_?=-][A-Za-z0-9+._?=-]*" name != null then
      name
    else
      "hm_"
      + b.concatStringsSep "" (
        b.genList (
          i:
          let
            c = b.substring i 1 name;
          in
          if b.match "[A-Za-z0-9+._?=-]" c != null then c else "-"
        ) (b.stringLength name)
      );
  fileContent =
    f:
    if (f.source or null) != null then
      (
        # A path: its store path (content-addressed: the same file gives the same path; in
        # read-only evaluation it is computed, not copied). A string: as written.
        if b.isPath f.source then
          b.unsafeDiscardStringContext "${b.path {
            path = f.source;
            name = fileStoreName (b.baseNameOf f.source);
          }}"
        else
          toStr f.source
      )
    else if (f.text or null) != null then
      "sha256:" + b.hashString "sha256" f.text
    else
      "<unknown>";
  homeFiles =
    h:
    let
      files = lookup h [ "home" "file" ] { };
    in
    if b.isAttrs files then
      b.listToAttrs (
        b.map (n: {
          name = "file.${safe toStr (attempt (files.${n}.target or n) n)}";
          value = safe fileContent (attempt files.${n} { });
        }) (b.attrNames files)
      )
    else
      { };

  # NixOS tmpfiles `L`/`L+` rules linking into a user's home: `file.<path in $HOME>` as for
  # home.file: the store path linked to.
  linkedFiles =
    c: u:
    let
      homeDir = toStr (lookup c [ "users" "users" u "home" ] "/home/${u}");
      rules = attempt (lookup c [ "systemd" "tmpfiles" "rules" ] [ ]) [ ];
      space = "[[:space:]]+";
      parse =
        r:
        if b.isString r then
          b.match "L[+]?${space}([^[:space:]]+)${space}-${space}-${space}-${space}-${space}([^[:space:]]+)" r
        else
          null;
      links = b.filter (m: m != null) (b.map parse (if b.isList rules then rules else [ ]));
      prefix = homeDir + "/";
      inHome = m: b.substring 0 (b.stringLength prefix) (b.head m) == prefix;
    in
    b.listToAttrs (
      b.map (m: {
        name = "file." + b.substring (b.stringLength prefix) (-1) (b.head m);
        value = safe toStr (b.elemAt m 1);
      }) (b.filter inHome links)
    )
    // homeCopies prefix "/" (b.filter b.isString (if b.isList rules then rules else [ ]))
    // scriptFiles c prefix;

  # tmpfiles `C`/`C+` rules copying into a home (`prefix`: the home and `/`, or `%h/` for
  # home-manager's user rules): `copy.<path in $HOME>` = `C` or `C+` and the store path.
  homeCopies =
    prefix: sep: rules:
    let
      space = "[[:space:]]+";
      parse = b.match "(C[+]?)${space}([^[:space:]]+)${space}-${space}-${space}-${space}-${space}([^[:space:]]+)";
      copies = b.filter (m: m != null) (b.map parse rules);
      inHome = m: b.substring 0 (b.stringLength prefix) (b.elemAt m 1) == prefix;
    in
    b.listToAttrs (
      b.map (m: {
        name = "copy." + b.substring (b.stringLength prefix) (-1) (b.elemAt m 1);
        value = b.head m + ":" + safe toStr (b.elemAt m 2);
      }) (b.filter inHome copies)
    );

  # NixOS activation scripts: each `ln -s SRC <home>/PATH` is `file.PATH` = SRC, each
  # `cp SRC <home>/PATH` is `copy.PATH` = `C+:SRC` (copied again at every activation).
  scriptFiles =
    c: prefix:
    let
      scripts = attempt (lookup c [ "system" "activationScripts" ] { }) { };
      textOf = v: if b.isString v then v else if b.isAttrs v then toStr (v.text or "") else "";
      lines = b.concatMap (
        n: b.filter b.isString (b.split "\n" (safe textOf (attempt scripts.${n} "")))
      ) (if b.isAttrs scripts then b.attrNames scripts else [ ]);
      parse = b.match "[[:space:]]*(ln[[:space:]]+-[sfnT]+|cp)[[:space:]]+([^[:space:]]+)[[:space:]]+\"?([^[:space:]\"]+)\"?[[:space:]]*";
      found = b.filter (m: m != null && b.substring 0 (b.stringLength prefix) (b.elemAt m 2) == prefix) (
        b.map parse lines
      );
      key = m: b.substring (b.stringLength prefix) (-1) (b.elemAt m 2);
    in
    b.listToAttrs (
      b.map (
        m:
        if b.substring 0 2 (b.head m) == "cp" then
          {
            name = "copy." + key m;
            value = "C+:" + b.elemAt m 1;
          }
        else
          {
            name = "file." + key m;
            value = b.elemAt m 1;
          }
      ) found
    );

  homeSettings =
    h:
    homeGit h
    // homeShells h
    // homeFiles h
    // homeCopies "%h/" "" (
      b.filter b.isString (attempt (lookup h [ "systemd" "user" "tmpfiles" "rules" ] [ ]) [ ])
    )
    // level "sessionVariables" variable (lookup h [ "home" "sessionVariables" ] { })
    // level "shellAliases" toStr (lookup h [ "home" "shellAliases" ] { });

  # NixOS programs that install their package system-wide when enabled; a package moving from
  # one of them to home-manager's `programs.<p>` (which installs it per user) is not new.
  systemPrograms = [
    "git"
    "neovim"
    "vim"
    "helix"
    "tmux"
    "htop"
    "btop"
    "bat"
    "eza"
    "direnv"
    "starship"
    "zoxide"
    "fzf"
    "jq"
    "lazygit"
    "gh"
    "zsh"
    "fish"
    "firefox"
    "kitty"
    "alacritty"
    "yazi"
  ];

  programs =
    c:
    b.sort b.lessThan (
      b.concatMap (
        p:
        if enabled c [ "programs" p ] then
          [ p ]
          ++ (
            let
              pkg = lookup c [ "programs" p "package" ] null;
            in
            if isPackage pkg then [ (b.unsafeDiscardStringContext (nameOf pkg)) ] else [ ]
          )
        else
          [ ]
      ) systemPrograms
    );

  unique = list: b.attrNames (b.listToAttrs (b.map (n: { name = n; value = null; }) list));

  host =
    darwin: nixos:
    let
      c = nixos.config;
      accounts = lookup c [ "users" "users" ] { };
      # nix-darwin has no isNormalUser: there, an account with packages is a user's.
      normal = b.filter (
        u:
        lookup accounts [ u "isNormalUser" ] false == true
        || (darwin && lookup accounts [ u "packages" ] [ ] != [ ])
      ) (b.attrNames accounts);
      homeUsers =
        if c ? home-manager && b.isAttrs c.home-manager && c.home-manager ? users then
          attempt c.home-manager.users { }
        else
          { };
      nixosSide = nixosSettings c;
      user =
        u:
        let
          home = if homeUsers ? ${u} then homeUsers.${u} else null;
        in
        {
          nixos_packages = b.filter (n: n != "home-manager-path") (
            names (lookup accounts [ u "packages" ] [ ])
          );
          home_manager = home != null;
          home_packages = if home == null then [ ] else names (lookup home [ "home" "packages" ] [ ]);
          # Forced so that conflicting definitions show (`<error>`); verify does not compare it.
          state_version = if home == null then null else attempt (toStr (lookup home [ "home" "stateVersion" ] null)) "<error>";
          nixos_settings = nixosSide // linkedFiles c u;
          settings = nixosSide // linkedFiles c u // (if home == null then { } else homeSettings home);
        };
    in
    {
      inherit darwin;
      programs = unique (programs c);
      users = b.listToAttrs (
        b.map (u: {
          name = u;
          value = user u;
        }) (unique (normal ++ b.attrNames homeUsers))
      );
    };

  home =
    standalone:
    let
      h = standalone.config;
    in
    {
      packages = names (lookup h [ "home" "packages" ] [ ]);
      settings = homeSettings h;
      state_version = attempt (toStr (lookup h [ "home" "stateVersion" ] null)) "<error>";
    };
in
{
  # nix-darwin hosts are compared like NixOS hosts, by their name.
  hosts =
    b.mapAttrs (_: host true) (outputs.darwinConfigurations or { })
    // b.mapAttrs (_: host false) (outputs.nixosConfigurations or { });
  homes = b.mapAttrs (_: home) (outputs.homeConfigurations or { });
}
