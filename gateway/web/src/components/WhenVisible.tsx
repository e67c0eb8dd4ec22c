import { useEffect, useRef, useState, type ReactNode } from 'react'

/** Renders its children once they come near the viewport. A chart at the bottom of a
 * page then costs nothing — not even its charting library's download — until someone
 * scrolls towards it, so the page above it is ready sooner. */
export function WhenVisible({ children, placeholder }: { children: ReactNode; placeholder: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null)
  const [near, setNear] = useState(typeof IntersectionObserver === 'undefined')
  useEffect(() => {
    const element = ref.current
    if (near || !element) return
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) {
          setNear(true)
          observer.disconnect()
        }
      },
      { rootMargin: '300px 0px' },
    )
    observer.observe(element)
    return () => observer.disconnect()
  }, [near])
  return <div ref={ref}>{near ? children : placeholder}</div>
}
