# Fake packages: attribute sets that look like derivations (type, name, pname, version,
# outPath, override, overrideAttrs) and build nothing. Enough for evaluating configurations
# and reading package names out of them.
{
  lib,
  system,
  overlays ? [ ],
  config ? { },
}:
let
  b = builtins;
  names = import ./names.nix;

  hash =
    s: b.substring 0 32 (b.replaceStrings [ "e" ] [ "x" ] (b.hashString "sha256" "${system}/${s}"));

  # A fake derivation; `pname = null` leaves it out (as buildEnv and friends do).
  mkDrv =
    {
      name,
      pname ? null,
      version ? null,
      extra ? { },
    }:
    let
      self =
        {
          type = "derivation";
          inherit name system;
          outPath = "/nix/store/${hash name}-${name}";
          drvPath = "/nix/store/${hash "${name}.drv"}-${name}.drv";
          outputs = [ "out" ];
          outputName = "out";
          out = self;
          meta = {
            description = "stand-in for ${name}";
            mainProgram = if pname != null then pname else name;
            platforms = lib.systems.flakeExposed;
          };
          passthru = { };
          override = _: self;
          overrideAttrs = _: self;
          overrideDerivation = _: self;
        }
        // lib.optionalAttrs (pname != null) { inherit pname version; }
        // extra;
    in
    self;

  pkg =
    pname:
    mkDrv {
      name = "${pname}-1.0";
      inherit pname;
      version = "1.0";
    };
  pkgSet = list: lib.genAttrs list pkg;
  prefixed =
    prefix: list:
    lib.genAttrs list (
      n:
      mkDrv {
        name = "${prefix}${n}-1.0";
        pname = "${prefix}${n}";
        version = "1.0";
      }
    );

  python =
    pname:
    pkg pname
    // {
      pkgs = pyPkgs;
      withPackages = _: mkDrv { name = "${pname}-1.0-env"; };
    };
  pyPkgs = prefixed "python3-" names.python3Packages // pythonBuild.pythonBuild;
  pythonBuild = import ./python-build.nix {
    inherit lib mkDrv pkg final;
    pyPkgs = prefixed "python3-" names.python3Packages;
  };

  linuxPackages = {
    kernel = pkg "linux";
    nvidia_x11 = pkg "nvidia-x11";
    nvidiaPackages = pkgSet [
      "stable"
      "beta"
      "production"
      "latest"
      "legacy_470"
    ];
    v4l2loopback = pkg "v4l2loopback";
    acpi_call = pkg "acpi_call";
    zfs = pkg "zfs-kernel";
    cpupower = pkg "cpupower";
    perf = pkg "perf";
    xone = pkg "xone";
    ddcci-driver = pkg "ddcci-driver";
  };

  vscodeExtensions = b.mapAttrs (
    publisher: list:
    lib.genAttrs list (
      n:
      mkDrv {
        name = "vscode-extension-${publisher}-${n}-1.0";
        pname = "vscode-extension-${publisher}-${n}";
        version = "1.0";
      }
    )
  ) names.vscode-extensions;

  platform = {
    inherit system;
    isLinux = lib.hasSuffix "-linux" system;
    isDarwin = lib.hasSuffix "-darwin" system;
    isx86_64 = lib.hasPrefix "x86_64-" system;
    isAarch64 = lib.hasPrefix "aarch64-" system;
    isx86 = lib.hasPrefix "x86_64-" system;
  };

  writers = {
    writeShellScriptBin = name: _: mkDrv { inherit name; };
    writeShellScript = name: _: mkDrv { inherit name; };
    writeScriptBin = name: _: mkDrv { inherit name; };
    writeScript = name: _: mkDrv { inherit name; };
    writeText = name: _: mkDrv { inherit name; };
    writeTextDir = path: _: mkDrv { name = b.baseNameOf path; };
    writeTextFile = { name, ... }: mkDrv { inherit name; };
    writeShellApplication = { name, ... }: mkDrv { inherit name; };
    symlinkJoin = { name, ... }: mkDrv { inherit name; };
    buildEnv = { name, ... }: mkDrv { inherit name; };
    runCommand =
      name: env: buildCommand:
      mkDrv {
        inherit name;
        extra = {
          inherit env buildCommand;
        };
      };
    runCommandLocal =
      name: _: _:
      mkDrv { inherit name; };
    fetchurl = args: mkDrv { name = args.name or (b.baseNameOf (args.url or "source")); };
    fetchzip = args: mkDrv { name = args.name or "source"; };
    fetchgit = _: mkDrv { name = "source"; };
    fetchFromGitHub = _: mkDrv { name = "source"; };
    fetchFromGitLab = _: mkDrv { name = "source"; };
    makeDesktopItem = { name, ... }: mkDrv { inherit name; };
  };

  base =
    pkgSet names.packages
    // writers
    // {
      inherit lib system config;
      hostPlatform = platform;
      buildPlatform = platform;
      targetPlatform = platform;
      stdenv = {
        inherit (platform) isLinux isDarwin;
        hostPlatform = platform;
        buildPlatform = platform;
        targetPlatform = platform;
        mkDerivation =
          args:
          mkDrv {
            name = args.name or "${args.pname}-${args.version or "1.0"}";
            pname = args.pname or null;
            version = args.version or null;
          };
        cc = pkg "gcc";
        shell = "/bin/sh";
      };
      stdenvNoCC = final.stdenv;
      runtimeShell = "/bin/sh";
      callPackage =
        fn: args:
        let
          f = if lib.isFunction fn then fn else import fn;
        in
        f (b.intersectAttrs (lib.functionArgs f) final // args);
      formats = lib.genAttrs [ "json" "yaml" "toml" "ini" "keyValue" ] (
        _: _: {
          type = lib.types.anything;
          generate = name: _: mkDrv { inherit name; };
        }
      );

      python3 = python "python3";
      python311 = python "python311";
      python312 = python "python312";
      python313 = python "python313";
      python3Packages = pyPkgs;
      python311Packages = pyPkgs;
      python312Packages = pyPkgs;
      python313Packages = pyPkgs;
      nodePackages = prefixed "node-" names.nodePackages;
      nodePackages_latest = prefixed "node-" names.nodePackages;
      kdePackages = pkgSet names.kdePackages;
      libsForQt5 = pkgSet names.kdePackages;
      gnome = pkgSet names.gnome;
      gnomeExtensions = prefixed "gnome-shell-extension-" names.gnomeExtensions;
      jetbrains = pkgSet names.jetbrains;
      vimPlugins = pkgSet names.vimPlugins;
      tmuxPlugins = prefixed "tmuxplugin-" names.tmuxPlugins;
      haskellPackages = pkgSet names.haskellPackages;
      xfce = pkgSet names.xfce;
      xorg = pkgSet names.xorg;
      "vscode-extensions" = vscodeExtensions;
      vscode-with-extensions = pkg "vscode-with-extensions";
      vscode-utils = {
        extensionsFromVscodeMarketplace = b.map (e: pkg "vscode-extension-${e.publisher}-${e.name}");
      };
      "nerd-fonts" = prefixed "nerd-fonts-" names.nerd-fonts;
      nerdfonts = pkg "nerdfonts";
      emacsPackages = pkgSet names.emacsPackages;
      linuxPackages = linuxPackages;
      linuxPackages_latest = linuxPackages;
      linuxPackages_zen = linuxPackages;
      linuxPackages_6_6 = linuxPackages;
      linuxPackages_6_12 = linuxPackages;
      linuxKernel = {
        packages = {
          linux_6_6 = linuxPackages;
          linux_6_12 = linuxPackages;
          linux_latest = linuxPackages;
        };
      };
      darwin = pkgSet [ "apple_sdk" "libiconv" ];
    }
    // pythonBuild.top;

  # Overlays see the final set, as in nixpkgs.
  final = b.foldl' (prev: overlay: prev // overlay final prev) base overlays;
in
final
// {
  extend = overlay: import ./default.nix {
    inherit lib system config;
    overlays = overlays ++ [ overlay ];
  };
  appendOverlays = more: import ./default.nix {
    inherit lib system config;
    overlays = overlays ++ more;
  };
}
