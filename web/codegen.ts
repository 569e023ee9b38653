// Operations are typed from the API schema the gateway serves (schema/api.graphql, written
// by `yui schema` from the committed supergraph). The output (src/gql/) is never committed:
// `npm run build` regenerates it before type-checking, so an API change that breaks a screen
// breaks the build instead of drifting.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "../schema/api.graphql",
  documents: ["src/**/*.{ts,tsx}", "!src/gql/**", "!src/**/*.test.{ts,tsx}"],
  ignoreNoDocuments: false,
  silent: true,
  generates: {
    "src/gql/": {
      preset: "client",
      presetConfig: { fragmentMasking: { unmaskFunctionName: "readFragment" } },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        // Wire formats of the API's scalars, as the server sends them.
        scalars: { DateTime: "string", Date: "string", Time: "string", Upload: "File" },
      },
    },
  },
};
export default config;
