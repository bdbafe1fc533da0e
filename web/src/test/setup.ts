import "@testing-library/jest-dom/vitest";
import { configure } from "@testing-library/react";

// The machine running the tests may be busy: wait for the page longer than the default 1 s.
configure({ asyncUtilTimeout: 5000 });
