/** A white, bordered section named for assistive technology by its own heading (aria-labelledby). */
import type { ReactNode } from "react";

export function TitledSection({
  id,
  title,
  className,
  headingClassName,
  children,
}: {
  id: string;
  title: string;
  /** spacing of the box (padding, gaps) */
  className: string;
  /** the heading's size and margin */
  headingClassName: string;
  children: ReactNode;
}) {
  return (
    <section className={`rounded-lg border border-slate-200 bg-white ${className}`} aria-labelledby={id}>
      <h2 id={id} className={headingClassName}>
        {title}
      </h2>
      {children}
    </section>
  );
}
