# Stand-ins for what the modules and the package take from nixpkgs, for
# evaluating them where there is no nixpkgs (CI has only Debian's nix-bin and
# no store: `nix-instantiate --store dummy://`).
#
# This is NOT the NixOS module system. `evalModule` declares options, fills
# defaults, reads definitions, resolves mkIf/mkMerge and hands the module an
# `options` tree with `value`/`isDefined` like the real one; it does no
# priorities, no merging of one option from several modules, and only the
# type checks below. What it proves: the module's own logic (what it reads,
# what it writes, under which conditions) and that it reads undeclared
# options without throwing. What it cannot: that nixpkgs' lib, types and
# pkgs.formats.toml behave as these stubs do.
let
  missing = {
    __stubMissing = true;
  };
  isMissing = v: builtins.isAttrs v && v ? __stubMissing;

  attrByPath =
    path: default: set:
    if path == [ ] then
      set
    else if builtins.isAttrs set && set ? ${builtins.head path} then
      attrByPath (builtins.tail path) default set.${builtins.head path}
    else
      default;

  filterAttrs =
    pred: set:
    builtins.listToAttrs (
      builtins.concatMap (
        n:
        if pred n set.${n} then
          [
            {
              name = n;
              value = set.${n};
            }
          ]
        else
          [ ]
      ) (builtins.attrNames set)
    );

  # Types: a name, a check, and what the evaluator needs to descend.
  mkType =
    name: check: extra:
    {
      _type = "stubType";
      inherit name check;
    }
    // extra;
  checked =
    type: loc: v:
    if type.check v then v else throw "stub types: ${loc} = ${builtins.toJSON v} is not a ${type.name}";

  types = rec {
    bool = mkType "bool" builtins.isBool { };
    str = mkType "str" builtins.isString { };
    int = mkType "int" builtins.isInt { };
    package = mkType "package" (v: builtins.isAttrs v && v ? outPath) { };
    tomlValue = mkType "TOML value" (_: true) { };
    enum = values: mkType "one of ${builtins.toJSON values}" (v: builtins.elem v values) { };
    nullOr = t: mkType "null or ${t.name}" (v: v == null || t.check v) { nullOf = t; };
    listOf = t: mkType "list of ${t.name}" (v: builtins.isList v && builtins.all t.check v) { };
    attrsOf = t: mkType "attrs of ${t.name}" builtins.isAttrs { attrsOf = t; };
    submodule =
      m:
      let
        body = if builtins.isFunction m then m { } else m;
      in
      mkType "submodule" builtins.isAttrs {
        submoduleOptions = body.options or { };
        freeform = body.freeformType or null;
      };
  };

  isOption = v: builtins.isAttrs v && (v._type or null) == "option";

  lib = {
    inherit
      types
      isOption
      attrByPath
      filterAttrs
      ;
    mkOption = attrs: attrs // { _type = "option"; };
    mkEnableOption = name: {
      _type = "option";
      type = types.bool;
      default = false;
      description = "Whether to enable ${name}.";
    };
    mkIf = condition: content: {
      _type = "if";
      inherit condition content;
    };
    mkMerge = contents: {
      _type = "merge";
      inherit contents;
    };
    literalExpression = text: {
      _type = "literalExpression";
      inherit text;
    };
    literalMD = text: {
      _type = "literalMD";
      inherit text;
    };
    optional = c: x: if c then [ x ] else [ ];
    optionalString = c: s: if c then s else "";
    optionalAttrs = c: s: if c then s else { };
    mapAttrs' =
      f: set:
      builtins.listToAttrs (map (n: f n set.${n}) (builtins.attrNames set));
    nameValuePair = name: value: { inherit name value; };
    mapAttrsToList = f: set: map (n: f n set.${n}) (builtins.attrNames set);
    concatStringsSep = builtins.concatStringsSep;
    replaceStrings = builtins.replaceStrings;
    escapeShellArg = s: "'${builtins.replaceStrings [ "'" ] [ "'\\''" ] s}'";
    importTOML = path: builtins.fromTOML (builtins.readFile path);
    genAttrs =
      names: f:
      builtins.listToAttrs (
        map (n: {
          name = n;
          value = f n;
        }) names
      );
    # lib.fileset is recorded, not copied (copying needs a store).
    fileset = {
      toSource = args: {
        _stubFileset = true;
        inherit (args) root fileset;
      };
      unions = sets: builtins.filter (s: s != null) sets;
      difference = from: without: { inherit from without; };
      maybeMissing = path: if builtins.pathExists path then path else null;
    };
    licenses = {
      mit = {
        spdxId = "MIT";
      };
      asl20 = {
        spdxId = "Apache-2.0";
      };
    };
    platforms.linux = [
      "x86_64-linux"
      "aarch64-linux"
    ];
  };

  # A TOML writer for the value shapes gpu-launch's config has (scalars,
  # lists of scalars, nested tables). The tests check it by reading its
  # output back with builtins.fromTOML.
  toTOML =
    let
      key = k: if builtins.match "[A-Za-z0-9_-]+" k != null then k else builtins.toJSON k;
      scalar =
        v:
        if builtins.isBool v then
          (if v then "true" else "false")
        else if builtins.isInt v then
          toString v
        else if builtins.isString v then
          builtins.toJSON v
        else if builtins.isList v then
          "[" + builtins.concatStringsSep ", " (map scalar v) + "]"
        else
          throw "stub toTOML: cannot write ${builtins.typeOf v}";
      table =
        prefix: set:
        let
          names = builtins.attrNames set;
          plain = builtins.filter (n: !builtins.isAttrs set.${n}) names;
          tables = builtins.filter (n: builtins.isAttrs set.${n}) names;
          header = if prefix == [ ] then "" else "[" + builtins.concatStringsSep "." (map key prefix) + "]\n";
        in
        header
        + builtins.concatStringsSep "" (map (n: "${key n} = ${scalar set.${n}}\n") plain)
        + builtins.concatStringsSep "" (map (n: table (prefix ++ [ n ]) set.${n}) tables);
    in
    table [ ];

  # pkgs: `canExecute` false stands for a cross build.
  mkPkgs =
    {
      canExecute ? true,
      extra ? { },
    }:
    let
      pkgs = {
        formats.toml = _: {
          type = types.tomlValue;
          generate = name: value: {
            _stub = "formats.toml.generate";
            inherit name value;
            text = toTOML value;
            outPath = "/nix/store/00000000000000000000000000000000-${name}";
          };
        };
        runCommand = name: env: script: {
          _stub = "runCommand";
          inherit name env script;
          outPath = "/nix/store/11111111111111111111111111111111-${name}";
        };
        stdenv = {
          buildPlatform.canExecute = _: canExecute;
          hostPlatform.system = "x86_64-linux";
        };
        # callPackage for real: calls the file with what it asks for.
        callPackage =
          fn: args:
          let
            f = if builtins.isFunction fn then fn else import fn;
          in
          f (builtins.intersectAttrs (builtins.functionArgs f) pkgs // args);
        inherit lib;
        installShellFiles = {
          _stub = "installShellFiles";
        };
        rustPlatform.buildRustPackage =
          attrs:
          attrs
          // {
            _stub = "buildRustPackage";
            name = "${attrs.pname}-${attrs.version}";
            outPath = "/nix/store/22222222222222222222222222222222-${attrs.pname}-${attrs.version}";
          };
      }
      // extra;
    in
    pkgs;

  # Fills an option value from its definition (or its default), descending
  # into submodules (declared options get defaults; other keys are kept as
  # the freeform part) and attrsOf.
  fill =
    loc: opt: def:
    let
      v =
        if !isMissing def then
          def
        else if opt ? default then
          opt.default
        else
          throw "stub evalModule: ${loc} is used but not defined";
    in
    fillType loc opt.type v;
  fillType =
    loc: type: v:
    if type ? submoduleOptions then
      fillTree loc type.submoduleOptions (checked type loc v)
    else if type ? attrsOf then
      builtins.mapAttrs (n: fillType "${loc}.${n}" type.attrsOf) (checked type loc v)
    else if type ? nullOf && v != null then
      checked type loc (fillType loc type.nullOf v)
    else
      checked type loc v;
  # An option tree (nested attrs of options) filled from the definitions
  # `defs`; keys of `defs` that no option declares are kept (freeform).
  fillTree =
    loc: tree: defs:
    defs
    // builtins.mapAttrs (
      n: node:
      let
        def = if builtins.isAttrs defs && defs ? ${n} then defs.${n} else missing;
      in
      if isOption node then
        fill "${loc}.${n}" node def
      else
        fillTree "${loc}.${n}" node (if isMissing def then { } else def)
    ) tree;

  # `options` as the module system hands it over: each option with `value`
  # and `isDefined`.
  withValues =
    tree: defs:
    builtins.mapAttrs (
      n: node:
      let
        def = if builtins.isAttrs defs && defs ? ${n} then defs.${n} else missing;
      in
      if isOption node then
        node
        // {
          isDefined = !isMissing def || node ? default;
          value = fill n node def;
        }
      else
        withValues node (if isMissing def then { } else def)
    ) tree;

  recursiveUpdate =
    a: b:
    a
    // builtins.mapAttrs (
      n: v: if builtins.isAttrs v && builtins.isAttrs (a.${n} or null) then recursiveUpdate a.${n} v else v
    ) b;

  # mkIf/mkMerge resolved; lists from several definitions are concatenated.
  merge2 =
    a: b:
    a
    // builtins.mapAttrs (
      n: v:
      if !(a ? ${n}) then
        v
      else if builtins.isList v then
        a.${n} ++ v
      else if builtins.isAttrs v && !(v ? outPath) then
        merge2 a.${n} v
      else
        v
    ) b;
  resolve =
    v:
    let
      t = if builtins.isAttrs v then v._type or null else null;
    in
    if t == "if" then
      (if v.condition then resolve v.content else { })
    else if t == "merge" then
      builtins.foldl' merge2 { } (map resolve v.contents)
    else if builtins.isAttrs v && t == null && !(v ? outPath) then
      builtins.mapAttrs (_: resolve) v
    else
      v;

  # Evaluates one module against `definitions` (what a configuration.nix
  # would set) and `otherOptions` (options that other modules of the system
  # declare, e.g. hwc.infrastructure.hardware.gpu.type).
  evalModule =
    {
      module,
      definitions ? { },
      otherOptions ? { },
      pkgs ? mkPkgs { },
    }:
    let
      m = (if builtins.isFunction module then module else import module) {
        inherit lib pkgs config;
        options = withValues declared definitions;
      };
      declared = recursiveUpdate otherOptions (m.options or { });
      config = fillTree "config" declared definitions;
    in
    {
      inherit config;
      out = resolve (m.config or { });
    };
in
{
  inherit
    lib
    mkPkgs
    evalModule
    toTOML
    recursiveUpdate
    ;
}
